"""``run_eval`` and ``skyray eval run`` end to end on the tiny model (transformers backend):
predictions and report written, errors kept as rows, the step skipped on rerun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from skyray.cli import main
from skyray.config import load_config, load_stage_config
from skyray.eval.run import EvalConfig, run_eval
from skyray.records import Prediction

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_jsonl(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "mini.jsonl"
    rows = [
        {"problem": "What is 2 + 3?", "answer": "5", "level": "Level 1", "subject": "Algebra"},
        {"question": "What is 6 * 7?", "solution": "so $\\boxed{42}$", "level": 2},
        {"problem": "Long " + "word " * 600 + "?", "answer": "1", "subject": "Geometry"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _cfg(own_jsonl, **over):
    overrides = [
        f'benchmarks=["{own_jsonl}", "gsm8k", "gsm8k-distractors"]',
        "limit=2",
        "distractors.max_distractors=2",
        "generation.max_prompt_tokens=700",
        "generation.sampling.max_new_tokens=6",
        "generation.transformers.batch_size=8",
        *[f"{k}={v}" for k, v in over.items()],
    ]
    return load_config(EvalConfig, None, overrides)


def test_run_eval_writes_predictions_and_report(tmp_path, tiny_model_dir, own_jsonl, data_dir):
    cfg = _cfg(own_jsonl)
    path = run_eval(cfg, tmp_path / "run", 5, tiny_model_dir)
    assert path == tmp_path / "run" / "step-5-eval"
    table = pq.read_table(path / "predictions.parquet")
    # mini: first 2 rows (limit=2); gsm8k-test: 2; distractors: 2 problems x (k = 0, 1, 2)
    assert table.num_rows == 2 + 2 + 6
    rows = table.to_pylist()
    preds = [Prediction.from_row(r) for r in rows]
    assert {p.benchmark for p in preds} == {"mini", "gsm8k-test", "gsm8k-distractors"}
    assert all(p.model == str(tiny_model_dir) and p.grader == "strict" for p in preds)
    assert [r["num_distractors"] for r in rows if r["benchmark"] == "gsm8k-distractors"] == [
        0,
        1,
        2,
        0,
        1,
        2,
    ]
    assert rows[1]["gold"] == "42" and rows[0]["level"] == 1
    assert all(r["completion_tokens"] > 0 and r["error"] is None for r in rows)
    assert len((path / "predictions.jsonl").read_text().splitlines()) == 10

    report = json.loads((path / "report.json").read_text())
    assert set(report["benchmarks"]) == {"mini", "gsm8k-test", "gsm8k-distractors"}
    assert report["benchmarks"]["gsm8k-test"]["num_problems"] == 2
    assert report["throughput"]["rows"] == 10
    md = (path / "report.md").read_text()
    assert "| Model | Grader | original | 1 | 2 |" in md
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["rows"] == {"predictions": 10, "generation_errors": 0}
    assert (path / "_SUCCESS").is_file()

    # same config and inputs: skipped, nothing rewritten
    mtime = (path / "report.json").stat().st_mtime_ns
    assert run_eval(cfg, tmp_path / "run", 5, tiny_model_dir) == path
    assert (path / "report.json").stat().st_mtime_ns == mtime


def test_too_long_rows_are_kept_and_counted(tmp_path, tiny_model_dir, own_jsonl, data_dir):
    cfg = load_config(
        EvalConfig,
        None,
        [
            f'benchmarks=["{own_jsonl}"]',
            "generation.max_prompt_tokens=700",
            "generation.sampling.max_new_tokens=4",
        ],
    )
    path = run_eval(cfg, tmp_path / "run", 5, tiny_model_dir)
    rows = pq.read_table(path / "predictions.parquet").to_pylist()
    assert len(rows) == 3
    assert rows[2]["error"].startswith("prompt-too-long") and rows[2]["correct"] is False
    report = json.loads((path / "report.json").read_text())
    assert report["benchmarks"]["mini"]["errors"] == {
        "count": 1,
        "by_reason": {"prompt-too-long": 1},
    }
    assert report["benchmarks"]["mini"]["graders"]["equiv"]["n"] == 3


def test_cli_run_and_user_errors(tmp_path, tiny_model_dir, own_jsonl, data_dir, capsys):
    code = main(
        [
            "eval",
            "run",
            "--model",
            str(tiny_model_dir),
            "--benchmarks",
            "math",
            "--run-dir",
            str(tmp_path / "run"),
            "limit=2",
            "generation.sampling.max_new_tokens=4",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "math-test (strict grader)" in out and "report:" in out
    assert (tmp_path / "run" / "step-5-eval" / "report.md").is_file()

    assert (
        main(["eval", "run", "--model", "x", "--benchmarks", "nope", "--run-dir", str(tmp_path)])
        == 2
    )
    assert "unknown benchmark 'nope'" in capsys.readouterr().err
    for bad in ("limit=-1", "limit=0"):  # "first 0 problems" is a mistake, not "all"
        assert main(["eval", "run", "--run-dir", str(tmp_path), bad]) == 2
        assert "limit must be >= 1 (first N problems), or null for all" in capsys.readouterr().err
    assert main(["eval", "run", "--benchmarks", "gsm8k", "--run-dir", str(tmp_path)]) == 2
    assert "--model" in capsys.readouterr().err


def test_job_entrypoint_and_shipped_configs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "jobs" / "eval.py"), "run", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0 and "--benchmarks" in proc.stdout
    shipped = sorted((ROOT / "configs").glob("*/eval*.yaml"))
    assert len(shipped) >= 4
    for path in shipped:
        assert path.read_text().startswith("#"), path
        load_stage_config(path)


def test_contamination_guard_names_overlapping_items(tmp_path, tiny_model_dir, data_dir):
    import pyarrow as pa

    from skyray.data.benchmarks import load_benchmark

    gsm = load_benchmark("gsm8k-test", data_dir)
    train = tmp_path / "sft" / "train.parquet"
    train.parent.mkdir()
    rows = [
        {"query": "Rephrased: " + gsm[2].problem, "response": "so\nThe answer is 1"},
        {"query": "What is 1 + 1?", "response": "The answer is 2"},
        {"query": "Other", "response": "Working: " + gsm[4].solution},
    ]
    pq.write_table(pa.Table.from_pylist(rows), train)
    manifest = tmp_path / "manifest.json"  # a step manifest pointing at its data
    manifest.write_text(json.dumps({"inputs": [{"path": str(train.parent)}]}))
    cfg = load_config(
        EvalConfig,
        None,
        [
            'benchmarks=["gsm8k"]',
            "limit=6",
            f"training_manifest={manifest}",
            "generation.sampling.max_new_tokens=2",
        ],
    )
    path = run_eval(cfg, tmp_path / "run", 5, tiny_model_dir)
    report = json.loads((path / "report.json").read_text())
    guard = report["contamination"]
    assert guard["status"] == "checked" and guard["rows_scanned"] == 3
    found = guard["benchmarks"]["gsm8k-test"]
    assert found["items"] == 6
    assert found["contaminated_ids"] == ["gsm8k-test:2", "gsm8k-test:4"]
    assert "(question) in query" in found["examples"][0]
    assert "(solution) in response" in found["examples"][1]
    md = (path / "report.md").read_text()
    assert "gsm8k-test: 2 of 6 items overlap the training data (30-gram match)" in md


def test_sampled_run_reports_maj_and_pass_at_k(tmp_path, tiny_model_dir, own_jsonl):
    cfg = load_config(
        EvalConfig,
        None,
        [
            f'benchmarks=["{own_jsonl}"]',
            "limit=2",
            "generation.sampling.temperature=1.0",
            "generation.sampling.num_samples=3",
            "generation.sampling.max_new_tokens=3",
        ],
    )
    path = run_eval(cfg, tmp_path / "run", 5, tiny_model_dir)
    rows = pq.read_table(path / "predictions.parquet").to_pylist()
    assert [(r["id"].split(":")[-1], r["sample_index"]) for r in rows] == [
        (str(line), s) for line in (1, 2) for s in range(3)
    ]
    bench = json.loads((path / "report.json").read_text())["benchmarks"]["mini"]
    assert bench["num_problems"] == 2 and bench["num_rows"] == 6
    for grader in ("strict", "equiv"):
        sampled = bench["sampling"][grader]
        assert sampled["k"] == 3 and sampled["n"] == 2
        assert set(sampled) >= {"pass@1", "pass@3", "maj@3"}
