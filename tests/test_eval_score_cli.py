"""`skyray eval score` end to end on a hand-checked predictions file (run as a real subprocess)."""

import json
import subprocess
import sys

import pytest

from skyray.eval.score import summarize, wilson_interval

ROWS = [
    # id, response, gold/solution, level, subject, correct under equiv, correct under strict
    (
        {
            "id": "a",
            "response": "so\nThe answer is 5",
            "gold": "5",
            "level": "Level 1",
            "subject": "Algebra",
        },
        True,
        True,
    ),
    (
        {
            "id": "b",
            "response": "The answer is \\frac{1}{2}",
            "gold": "0.5",
            "level": 1,
            "subject": "Algebra",
        },
        True,
        True,
    ),
    (
        {
            "id": "c",
            "response": "The answer is 24%",
            "gold": "0.24",
            "level": 2,
            "subject": "Geometry",
        },
        True,
        False,
    ),
    (
        {
            "id": "d",
            "response": "The answer is 7",
            "solution": "so $\\boxed{8}$",
            "level": 2,
            "subject": "Geometry",
        },
        False,
        False,
    ),
    (
        {"id": "e", "response": "I give up", "gold": "3", "level": 5, "subject": "Geometry"},
        False,
        False,
    ),
    ({"id": "f", "response": "The correct answer is 1, 2", "gold": "2,1"}, True, False),
]


def _write(tmp_path, rows):
    path = tmp_path / "preds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "skyray.cli", "eval", "score", *args],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("grader", ["equiv", "strict"])
def test_scores_json_and_writes_rows(tmp_path, grader):
    preds = _write(tmp_path, [r for r, _, _ in ROWS])
    out = tmp_path / "scored.jsonl"
    proc = _cli(str(preds), "--benchmark", "math", "--grader", grader, "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    expected = [eq if grader == "equiv" else st for _, eq, st in ROWS]
    assert report["n"] == 6 and report["correct"] == sum(expected)
    assert report["accuracy"] == pytest.approx(sum(expected) / 6)
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["correct"] for s in scored] == expected
    assert scored[3]["gold"] == "8"  # taken from the solution's \boxed{}
    assert scored[4]["extracted"] is None
    by_level = report["by_level"]
    assert set(by_level) == {"1", "2", "5"}
    assert by_level["1"]["n"] == 2 and by_level["5"]["accuracy"] == 0.0
    assert report["by_subject"]["Geometry"]["n"] == 3


def test_table_output_lists_levels_and_subjects(tmp_path):
    preds = _write(tmp_path, [r for r, _, _ in ROWS])
    proc = _cli(str(preds), "--benchmark", "math")
    assert proc.returncode == 0, proc.stderr
    assert "overall" in proc.stdout and "Level 2" in proc.stdout and "Geometry" in proc.stdout
    assert "66.67%" in proc.stdout  # 4/6 under equiv


def test_bad_input_is_one_clear_line(tmp_path):
    missing = _cli(str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    bad = _write(tmp_path, [{"id": "x", "response": "The answer is 1"}])
    proc = _cli(str(bad))
    assert proc.returncode == 2
    assert "preds.jsonl:1: needs 'gold' or 'solution'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_wilson_interval_and_empty_summary():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert summarize([])["n"] == 0
