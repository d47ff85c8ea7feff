"""The self-compare stage end to end on CPU: the deterministic student answers real GSM8K/MATH
train problems over HTTP, the deterministic teacher writes the samples."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from skyray.cli import main
from skyray.config import load_config
from skyray.math.grade import grade
from skyray.records import SyntheticSample
from skyray.selfcompare.config import SelfCompareConfig
from skyray.selfcompare.prompts import teacher_fields
from skyray.selfcompare.run import run_selfcompare
from skyray.synth.prompts import render


def _cfg(server: str, problems, *extra: str) -> SelfCompareConfig:
    return load_config(
        SelfCompareConfig,
        None,
        [
            "model=student",
            f"problems={json.dumps([str(p) for p in problems])}",
            "generation.backend=openai",
            f"generation.openai.base_url={server}",
            "teacher_backend=local",
            "train=false",
            *extra,
        ],
    )


def _rows(path):
    return pq.read_table(path).to_pylist()


def test_wrong_answers_get_self_compare_samples(tmp_path, student_server, seeds_file):
    path = run_selfcompare(_cfg(student_server, [seeds_file]), tmp_path / "run")
    answers = _rows(path / "round-1/step-1-answer/answers.parquet")
    samples = _rows(path / "samples.parquet")
    counts = {s: sum(a["status"] == s for a in answers) for s in ("right", "wrong", "no-answer")}
    assert len(answers) == 24 and sum(counts.values()) == 24
    assert counts["right"] and counts["wrong"] and counts["no-answer"]  # the student mixes
    # one sample per unsolved problem, none for solved ones (confirm_ratio 0)
    unsolved = {a["id"]: a for a in answers if a["status"] != "right"}
    assert sorted(s["parent_id"] for s in samples) == sorted(unsolved)
    for s in samples:
        previous = unsolved[s["parent_id"]]
        assert SyntheticSample.from_row(s).id == s["id"]  # a SyntheticSample, id from lineage
        assert s["operator"] == "selfcompare" and s["round"] == 1 and s["step"] == 1
        assert s["answer_model"] == "student" and s["seed_id"] == previous["seed_id"]
        assert s["previous_response"] == previous["response"]
        assert s["previous_answer"] == previous["extracted"]
        # the teacher was shown the previous answer; the training question carries it as a hint
        prompt, _ = render("selfcompare", **teacher_fields(previous))
        assert previous["response"].strip() in prompt
        if previous["status"] == "wrong":
            hint = f"(Hint: The answer is near to {previous['extracted']})."
            assert s["question"].endswith(hint)
            assert f"concluded {previous['extracted']}" in s["response"]
        else:
            assert "no final answer" in s["question"]
        # the response ends with the canonical answer line, and that answer is the gold
        assert s["response"].splitlines()[-1] == f"The answer is {s['answer']}"
        assert grade(s["response"], previous["gold"], "strict").correct
    report = json.loads((path / "report.json").read_text())
    (r1,) = report["rounds"]
    assert r1["problems"] == r1["right"] + r1["wrong"] + r1["no-answer"] + r1["error"] == 24
    assert r1["samples"] == len(samples) and r1["drops"] == {}
    assert r1["teacher_tokens"]["completion"] > 0
    assert "| 1 | student | 24 |" in (path / "report.md").read_text()
    # the samples flow through curation unchanged (answer checks, 30-gram decontamination)
    out = tmp_path / "curated"
    assert main(["curate", str(path / "samples.parquet"), "--out", str(out), "engine=local"]) == 0
    kept = pq.read_table(out / "kept").to_pylist()
    assert [k["id"] for k in kept] == [s["id"] for s in samples]
    assert kept[0]["previous_response"] == samples[0]["previous_response"]


def test_confirmation_samples_only_when_configured(tmp_path, student_server, seeds_file):
    path = run_selfcompare(
        _cfg(student_server, [seeds_file], "confirm_ratio=1.0", "include_no_answer=false"),
        tmp_path / "run",
    )
    answers = {a["id"]: a for a in _rows(path / "round-1/step-1-answer/answers.parquet")}
    samples = _rows(path / "samples.parquet")
    by_kind = {
        op: sorted(answers[s["parent_id"]]["status"] for s in samples if s["operator"] == op)
        for op in ("selfcompare", "selfcompare.confirm")
    }
    assert set(by_kind["selfcompare"]) == {"wrong"}
    assert by_kind["selfcompare.confirm"] == ["right"] * sum(
        a["status"] == "right" for a in answers.values()
    )
    confirm = next(s for s in samples if s["operator"] == "selfcompare.confirm")
    assert "agrees with the correct reasoning" in confirm["response"]


def test_replies_that_miss_the_gold_are_dropped_and_counted(tmp_path, student_server, data_dir):
    from skyray.data.benchmarks import load_benchmark

    rows = [
        {"id": p.id, "problem": p.problem, "answer": f"{p.answer}+7", "solution": p.solution}
        for p in load_benchmark("math-train", str(data_dir))[:10]
    ]  # a wrong gold: the teacher's corrected solution (from the real one) contradicts it
    bad = tmp_path / "bad-gold.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows))
    from skyray.errors import StepFailedError

    with pytest.raises(StepFailedError, match="wrote 0 of 10 samples"):  # by default: a failure
        run_selfcompare(_cfg(student_server, [bad]), tmp_path / "run")
    path = run_selfcompare(_cfg(student_server, [bad], "min_output_fraction=0"), tmp_path / "run")
    manifest = json.loads((path / "manifest.json").read_text())
    (r1,) = manifest["rounds"]
    assert r1["right"] == 0 and r1["samples"] == 0
    assert r1["drops"] == {"answer-mismatch": r1["wrong"] + r1["no-answer"]}


def test_cli_and_user_errors(tmp_path, student_server, seeds_file, capsys):
    args = [
        "selfcompare",
        "--run-dir",
        str(tmp_path / "run"),
        "--model",
        "student",
        "--problems",
        str(seeds_file),
        "generation.backend=openai",
        f"generation.openai.base_url={student_server}",
        "teacher_backend=local",
        "train=false",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "round 1: 24 problems" in out and "samples ->" in out
    assert main([*args[:5], "--problems", str(tmp_path / "missing.parquet"), *args[7:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skyray: error:") and "missing.parquet" in err and "\n" not in err
    assert main([*args, "num_rounds=2"]) == 2
    assert "needs train: true" in capsys.readouterr().err


def test_pipeline_step_uses_the_run_seeds(tmp_path, student_server):
    from skyray.pipeline import PipelineConfig, run_pipeline

    cfg = load_config(
        PipelineConfig,
        None,
        [
            f"run_dir={tmp_path / 'run'}",
            "steps=[seeds, selfcompare]",
            "seeds.sources=[gsm8k-train]",
            "seeds.max_per_source=6",
            "selfcompare.model=student",
            "selfcompare.generation.backend=openai",
            f"selfcompare.generation.openai.base_url={student_server}",
            "selfcompare.teacher_backend=local",
            "selfcompare.train=false",
        ],
    )
    done = run_pipeline(cfg)
    assert done["selfcompare"].name == "step-8-selfcompare"
    manifest = json.loads((done["selfcompare"] / "manifest.json").read_text())
    assert manifest["rows"]["problems"] == 6
    assert manifest["config"]["problems"] == [str(tmp_path / "run" / "step-1-seeds")]


@pytest.mark.parametrize(
    "split,rounds,sizes", [("disjoint", 5, [5, 5, 5, 5, 4]), ("all", 3, [24, 24, 24])]
)
def test_rounds_split(seeds_file, split, rounds, sizes):
    from skyray.selfcompare.problems import load_problems, split_rounds

    problems, _ = load_problems([str(seeds_file)])
    parts = split_rounds(problems, rounds, split, seed=0)
    assert [len(p) for p in parts] == sizes
    if split == "disjoint":
        assert len({p.id for part in parts for p in part}) == 24


def test_broken_teacher_fails_the_round_without_a_marker(
    tmp_path, student_server, seeds_file, capsys
):
    """A teacher answering HTTP 200 with no choices: one line, exit 1, no _SUCCESS anywhere a
    rerun would skip; once the teacher is fixed, the same command finishes the stage."""
    from skyray.testing.bad_teacher import BadTeacher

    upstream = student_server
    with BadTeacher("no-choices", upstream=upstream, model="student") as bad:
        args = [
            "selfcompare", "--run-dir", str(tmp_path / "run"), "--model", "student",
            f"problems={json.dumps([str(seeds_file)])}", "generation.backend=openai",
            f"generation.openai.base_url={student_server}", "teacher_backend=openai",
            f"teacher.base_url={bad.base_url}", "teacher.model=student",
            "teacher.max_retries=0", "train=false",
        ]  # fmt: skip
        assert main(args) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("skyray: error: selfcompare:")
        assert "min_output_fraction" in err[0] and "Traceback" not in err[0]
        step = tmp_path / "run" / "step-8-selfcompare"
        assert not (step / "_SUCCESS").exists()
        assert not (step / "round-1" / "step-2-compare" / "_SUCCESS").exists()
        assert (step / "round-1" / "step-1-answer" / "_SUCCESS").exists()  # answers are kept
        bad.mode = "forward"
        assert main(args) == 0
    assert (step / "_SUCCESS").exists()
    assert pq.read_table(step / "samples.parquet").num_rows > 0


def test_limit_zero_is_refused():
    with pytest.raises(ValueError, match="limit must be >= 1"):
        SelfCompareConfig(limit=0)
