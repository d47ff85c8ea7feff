"""``skyray eval score`` on bad input and bad options: one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

GOOD = {"id": "a", "response": "The answer is 5", "gold": "5"}


def score(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skyray.cli", "eval", "score", *args],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def write(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_out_folder_is_refused_without_a_stray_tmp(tmp_path):
    preds = write(tmp_path / "preds.jsonl", [GOOD])
    out = tmp_path / "out"
    out.mkdir()
    line = one_line(score(preds, "--out", str(out)))
    assert line == f"skyray: error: --out {out} is a folder; give the path of the scored JSONL file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "preds.jsonl"]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("value", ["inf", "1e300", "nan", "-1", "0"])
def test_timeout_out_of_range_is_one_line(tmp_path, value):
    preds = write(tmp_path / "preds.jsonl", [GOOD])
    line = one_line(score(preds, "--timeout-s", value, "--out", str(tmp_path / "s.jsonl")))
    assert line.startswith("skyray: error: timeout_s must be a number of seconds in (0, 3600]")
    assert not (tmp_path / "s.jsonl").exists()


def test_empty_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    line = one_line(score(str(empty), "--json"))
    assert line == f"skyray: error: {empty}: no prediction rows (the file is empty)"


def test_duplicate_ids_are_refused(tmp_path):
    rows = [GOOD, {"id": "b", "response": "The answer is 2", "gold": "2"},
            {**GOOD, "response": "The answer is 6"}]  # fmt: skip
    preds = write(tmp_path / "preds.jsonl", rows)
    line = one_line(score(preds, "--out", str(tmp_path / "s.jsonl")))
    assert line == (
        f"skyray: error: {preds}:3: duplicate prediction for id 'a' (first at line 1); "
        "give one row per id (several samples differ by sample_index)"
    )
    assert not (tmp_path / "s.jsonl").exists()
    # several samples of one problem (as `skyray eval run` writes them) are distinct rows
    samples = [{**GOOD, "sample_index": 0}, {**GOOD, "sample_index": 1, "response": "6"}]
    proc = score(write(tmp_path / "samples.jsonl", samples), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["n"] == 2


def test_response_of_the_wrong_type_is_named(tmp_path):
    preds = write(tmp_path / "preds.jsonl", [GOOD, {**GOOD, "id": "b", "response": 42}])
    line = one_line(score(preds))
    assert line == f"skyray: error: {preds}:2: 'response' must be a string, got a number (42)"
    nulls = write(tmp_path / "nulls.jsonl", [{**GOOD, "response": None}])  # a failed generation
    proc = score(nulls, "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["no_answer"] == 1


def test_eval_limit_zero_is_an_error_and_null_means_all(tmp_path):
    from skyray.config import load_config
    from skyray.eval.items import load_items
    from skyray.eval.run import EvalConfig

    proc = subprocess.run(
        [sys.executable, "-m", "skyray.cli", "eval", "run", "--model", "m", "--benchmarks",
         "gsm8k", "--run-dir", str(tmp_path), "limit=0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert one_line(proc) == (
        "skyray: error: limit must be >= 1 (first N problems), or null for all; got 0"
    )
    assert not (tmp_path / "step-5-eval").exists()
    jsonl = tmp_path / "items.jsonl"
    write(jsonl, [{"problem": f"{i} + 1?", "answer": str(i + 1)} for i in range(3)])
    assert load_config(EvalConfig, None, ["limit=null"]).limit is None
    assert len(load_items([str(jsonl)], limit=None)) == 3
    assert len(load_items([str(jsonl)], limit=2)) == 2


def test_out_under_a_file_is_one_line(tmp_path):
    preds = write(tmp_path / "preds.jsonl", [GOOD])
    line = one_line(score(preds, "--out", str(tmp_path / "preds.jsonl" / "s.jsonl")))
    assert line.startswith(f"skyray: error: cannot write --out {tmp_path / 'preds.jsonl'}/s.jsonl")
