import json

import pytest

from skyray.data.benchmarks import (
    DataNotFoundError,
    MalformedRowError,
    get_benchmark,
    list_benchmarks,
    load_benchmark,
    load_benchmark_report,
)
from skyray.math.equiv import is_equiv

EXPECTED_ROWS = {
    "gsm8k-train": 7473,
    "gsm8k-test": 1319,
    "math-train": 7498,  # 7,500 minus 2 rows whose \boxed{} is empty (counted as skipped)
    "math-test": 5000,
    "math500": 500,
    "gsm-plus": 2400,
    "olympiadbench": 675,
    "agieval-math": 1000,
    "jeebench-math": 204,
    "cmath-distractor": 360,
    "gsm8k-backward": 1270,
}


@pytest.mark.parametrize(("name", "rows"), sorted(EXPECTED_ROWS.items()))
def test_row_counts(data_dir, name, rows):
    assert len(load_benchmark(name, data_dir)) == rows


def test_every_registered_benchmark_loads_in_one_schema(data_dir):
    for name in list_benchmarks():
        problems = load_benchmark(name, data_dir)
        assert problems, name
        ids = [p.id for p in problems]
        assert len(set(ids)) == len(ids), f"{name}: duplicate ids"
        for p in problems:
            assert p.problem.strip() and p.answer.strip() and p.source == name


def test_math_levels_subjects_and_nested_boxed_gold(data_dir):
    rows = {p.id: p for p in load_benchmark("math-test", data_dir)}
    levels = {p.level for p in rows.values()}
    assert levels <= {1, 2, 3, 4, 5, None} and {1, 5} <= levels
    assert {p.subject for p in rows.values()} == {
        "Algebra",
        "Counting & Probability",
        "Geometry",
        "Intermediate Algebra",
        "Number Theory",
        "Prealgebra",
        "Precalculus",
    }
    first = rows["math-test:test/algebra/1.json"]
    assert (first.answer, first.level, first.subject) == ("2", 3, "Algebra")
    nested = [p for p in rows.values() if "\\frac" in p.answer and "{" in p.answer]
    assert all(p.answer.count("{") == p.answer.count("}") for p in nested)


def test_math500_agrees_with_math_test_answers(data_dir):
    math_test = {p.id.split(":", 1)[1]: p for p in load_benchmark("math-test", data_dir)}
    disagreements = [
        p.id
        for p in load_benchmark("math500", data_dir)
        if not is_equiv(p.answer, math_test[p.id.split(":", 1)[1]].answer)
    ]
    assert len(disagreements) <= 5, disagreements  # prm800k re-typed a handful of answers


def test_gsm8k_gold_is_after_hashes(data_dir):
    first = load_benchmark("gsm8k-test", data_dir)[0]
    assert first.answer == "18" and "####" not in first.solution


def test_roles_keep_test_sets_out_of_seeds():
    assert "math-test" in list_benchmarks("test")
    assert "agieval-math" in list_benchmarks("test")  # all of it is MATH test
    assert "math-train" in list_benchmarks("train")
    assert get_benchmark("gsm-plus").role == "test"


def test_skipped_rows_are_reported_not_silent(data_dir):
    loaded = load_benchmark_report("math-train", data_dir)
    assert len(loaded.skipped) == 2
    assert all("train.jsonl:" in reason and "empty" in reason for reason in loaded.skipped)


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_benchmark("math-test", tmp_path / "nope")


def test_missing_file_without_hub_copy(tmp_path):
    with pytest.raises(DataNotFoundError, match="jeebench"):
        load_benchmark("jeebench-math", tmp_path)


def test_missing_file_falls_back_to_hub_and_fails_clearly_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="openai/gsm8k"):
        load_benchmark("gsm8k-test", tmp_path)


def test_malformed_rows_name_file_and_line(tmp_path):
    (tmp_path / "gsm8k").mkdir()
    good = json.dumps({"question": "1+1?", "answer": "1+1=2\n#### 2"})
    (tmp_path / "gsm8k" / "test.jsonl").write_text(good + "\n{not json\n")
    with pytest.raises(MalformedRowError, match=r"test.jsonl:2"):
        load_benchmark("gsm8k-test", tmp_path)
    (tmp_path / "gsm8k" / "test.jsonl").write_text(
        good + "\n" + json.dumps({"question": "q"}) + "\n"
    )
    with pytest.raises(MalformedRowError, match=r"test.jsonl:2: missing field 'answer'"):
        load_benchmark("gsm8k-test", tmp_path)
    (tmp_path / "gsm8k" / "test.jsonl").write_bytes(b'{"question": "\xff", "answer": "#### 1"}\n')
    with pytest.raises(MalformedRowError, match="UTF-8"):
        load_benchmark("gsm8k-test", tmp_path)


def test_unknown_benchmark_lists_known_names():
    with pytest.raises(KeyError, match="math-test"):
        get_benchmark("maths")
