"""``skyray eval run`` (OpenAI backend) against a server answering HTTP 200 with broken replies:
error rows and a finished report, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skyray.runs import SUCCESS
from skyray.testing.bad_teacher import BadTeacher

ROOT = Path(__file__).resolve().parents[2]


def eval_run(run_dir: Path, base_url: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "skyray.cli", "eval", "run", "--model", "deterministic",
         "--benchmarks", "gsm8k", "--run-dir", str(run_dir), "limit=2",
         "generation.backend=openai", f"generation.openai.base_url={base_url}",
         "generation.openai.max_retries=0", *extra],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "api", "error"),
    [
        ("no-choices", "chat", "api: bad-response: no choices in the reply"),
        ("no-choices", "completions", "api: bad-response: no choices in the reply"),
        ("null-content", "chat", "api: bad-response: the choice holds no text"),
        ("garbage", "chat", "api: bad-response: JSONDecodeError"),
    ],
)
def test_broken_replies_are_error_rows_and_a_finished_report(mode, api, error, tmp_path, data_dir):
    with BadTeacher(mode) as bad:
        out = eval_run(tmp_path, bad.base_url, f"generation.openai.api={api}")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "IndexError" not in out.stderr
    assert "generation errors: 2 of 2 rows" in out.stdout
    step = tmp_path / "step-5-eval"
    rows = [json.loads(line) for line in (step / "predictions.jsonl").read_text().splitlines()]
    assert [r["error"] for r in rows] == [error, error]
    assert not any(r["correct"] for r in rows)
    report = json.loads((step / "report.json").read_text())
    assert report["benchmarks"]["gsm8k-test"]["errors"]["count"] == 2
    assert (step / "report.md").is_file() and (step / SUCCESS).is_file()
