"""``skyray synth`` and ``skyray serve`` as a user runs them: one-line errors, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from skyray.serve.server import free_port
from tests.cli import run_skyray
from tests.conftest import ROOT


def skyray(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return run_skyray(*args, timeout=timeout, unset=())


def test_unreachable_teacher_is_one_line(seeds_path, tmp_path):
    start = time.monotonic()
    out = skyray("synth", "--run-dir", str(tmp_path), "--seeds", str(seeds_path),
                 f"teacher.base_url=http://127.0.0.1:{free_port()}/v1")  # fmt: skip
    assert out.returncode == 2 and time.monotonic() - start < 30
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("skyray: error: teacher endpoint http://127.0.0.1:")
    assert "unreachable" in lines[-1] and "Traceback" not in out.stderr


def test_missing_seeds_and_bad_override_are_one_line(tmp_path):
    out = skyray("synth", "--run-dir", str(tmp_path))
    assert out.returncode == 2 and "seeds file not found" in out.stderr.strip().splitlines()[-1]
    out = skyray("synth", "--run-dir", str(tmp_path), "sampling.temperature=hot")
    assert out.returncode == 2 and "expected a number" in out.stderr


def test_serve_command_runs_until_interrupted(seeds_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "skyray.cli", "serve", "engine=uvicorn", f"port={port}",
         f"seeds_path={seeds_path}"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        assert first.startswith(
            "serving 'deterministic' (deterministic, uvicorn) at http://127.0.0.1:"
        )
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=10).json()
        assert [m["id"] for m in models["data"]] == ["deterministic"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_test_split_seeds_are_refused(tmp_path, data_dir):
    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems

    seeds = tmp_path / "seeds.parquet"
    write_problems(load_benchmark("math500", str(data_dir))[:3], seeds)
    out = skyray("synth", "--run-dir", str(tmp_path), "--seeds", str(seeds), "backend=local")
    assert out.returncode == 2
    assert "seeds from 'math500', an evaluation set, are refused" in out.stderr
