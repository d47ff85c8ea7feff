"""Passwords in URLs never reach a file or a log line: ``http://user:secret@host/v1`` is written
as ``http://user:***@host/v1`` in manifests (config and argv), reports, logs and error lines."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skyray.redact import RedactingFilter, redact, redact_text

ROOT = Path(__file__).resolve().parents[1]
SECRET = "pw-7d1e9c3b5a"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("http://user:secret@host/v1", "http://user:***@host/v1"),
        ("base_url=https://u:p%40ss@h:8000/v1 x", "base_url=https://u:***@h:8000/v1 x"),
        ("https://tok123@host/v1", "https://***@host/v1"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("mail me at a@b.c", "mail me at a@b.c"),
        ("http://h/v1?who=a@b", "http://h/v1?who=a@b"),
    ],
)
def test_redact_text(text, want):
    assert redact_text(text) == want


def test_redact_data_and_log_records():
    data = {"argv": ["x", f"teacher.base_url=http://u:{SECRET}@h/v1"], "n": 3, "t": ("a",)}
    assert redact(data) == {
        "argv": ["x", "teacher.base_url=http://u:***@h/v1"],
        "n": 3,
        "t": ("a",),
    }
    record = logging.LogRecord("x", logging.INFO, "f", 1, "at %s", (f"http://u:{SECRET}@h",), None)
    assert RedactingFilter().filter(record) and record.getMessage() == "at http://u:***@h"


def skyray(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "skyray.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)  # fmt: skip


def files_holding(root: Path, needle: str) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_no_run_file_or_log_line_holds_a_url_password(tmp_path, data_dir):
    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems
    from skyray.serve.server import ServeConfig, running_server

    seeds = tmp_path / "seeds.parquet"
    write_problems([p for p in load_benchmark("math-train", str(data_dir)) if p.level][:8], seeds)
    run = tmp_path / "run"
    cfg = ServeConfig(engine="uvicorn", port=0, seeds_path=str(seeds))
    with running_server(cfg) as url:
        secret_url = url.replace("http://", f"http://alice:{SECRET}@")
        synth = skyray("-v", "synth", "--run-dir", str(run), "--seeds", str(seeds),
                       f"teacher.base_url={secret_url}", "stages=[1]", "num_seed_synthetic=3",
                       "num_normal=0", "num_hard=0")  # fmt: skip
        assert synth.returncode == 0, synth.stderr
        ev = skyray("eval", "run", "--model", "deterministic", "--benchmarks", "gsm8k",
                    "--run-dir", str(run), "limit=1", "generation.backend=openai",
                    f"generation.openai.base_url={secret_url}")  # fmt: skip
        assert ev.returncode == 0, ev.stderr
    dead = skyray("synth", "--run-dir", str(tmp_path / "dead"), "--seeds", str(seeds),
                  f"teacher.base_url=http://alice:{SECRET}@127.0.0.1:9/v1")  # fmt: skip
    assert dead.returncode == 2 and "http://alice:***@127.0.0.1:9/v1" in dead.stderr

    manifest = (run / "step-2-synth" / "manifest.json").read_text()
    assert "http://alice:***@127.0.0.1:" in manifest  # config, argv and teacher all masked
    assert (run / "step-5-eval" / "manifest.json").is_file()
    assert files_holding(tmp_path, SECRET) == []
    for proc in (synth, ev, dead):
        assert SECRET not in proc.stdout + proc.stderr
