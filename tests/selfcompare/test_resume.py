"""A self-compare run killed (SIGKILL) while the teacher is answering resumes when the same
command runs again: the finished answer step is not redone (the model gets no request) and no
teacher reply received before the kill is requested again (the compare step's cache)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import httpx
import pyarrow.parquet as pq

from skyray.cli import main
from skyray.llm.cache import request_key
from skyray.testing.faults import FaultProxy

RATE = 0.5


def _proxy_seed() -> int:
    """A proxy seed whose first three teacher requests pass and whose fourth stalls."""
    for seed in range(1000):
        rng = random.Random(seed)
        if [rng.random() >= RATE for _ in range(4)] == [True, True, True, False]:
            return seed
    raise AssertionError("no seed")


def _completions(keys: list[str]) -> list[str]:
    """Recorded keys without the teacher's ``/models`` checks (GET, no body)."""
    return [k for k in keys if k != request_key("", "", {})]


def _model_requests(server: str) -> int:
    stats = httpx.get(server.removesuffix("/v1") + "/stats", timeout=10).json()
    return stats["requests"].get("completions", 0)


def _wait(predicate, what: str, limit_s: float = 180.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_killed_run_resumes(tmp_path, student_server, seeds_file):
    proxy = FaultProxy(
        upstream=student_server.removesuffix("/v1"),
        fault_rate=RATE,
        kinds=("stall",),
        stall_s=600,
        seed=_proxy_seed(),
        record=True,
    ).start()
    run_dir = tmp_path / "run"
    args = [
        "selfcompare",
        "--run-dir",
        str(run_dir),
        "--model",
        "student",
        "--problems",
        str(seeds_file),
        "generation.backend=openai",
        f"generation.openai.base_url={student_server}",
        f"teacher.base_url={proxy.url}/v1",
        "teacher.model=student",
        "teacher.max_concurrency=1",  # one request at a time: all before the stall are cached
        "teacher.timeout_s=900",
        "train=false",
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-m", "skyray.cli", *args], env=env)
    try:
        _wait(lambda: proxy.stats.faults["stall"] >= 1 or child.poll() is not None, "a stall")
        assert child.poll() is None, "the run ended before the teacher stalled"
        child.send_signal(signal.SIGKILL)
        child.wait()
        stage = run_dir / "step-8-selfcompare"
        answers = stage / "round-1" / "step-1-answer"
        assert (answers / "_SUCCESS").is_file() and not (stage / "_SUCCESS").is_file()
        before_kill = _completions(proxy.sent_keys)
        assert len(before_kill) == 3  # answered and cached; the fourth stalled (not forwarded)
        sent_before = len(proxy.sent_keys)
        answered = _model_requests(student_server)
        finished_at = json.loads((answers / "manifest.json").read_text())["finished_at"]

        proxy.fault_rate = 0.0  # the teacher recovers; the same command runs again
        assert main(args) == 0
        resent = _completions(proxy.sent_keys[sent_before:])
        assert resent and not set(before_kill) & set(resent)  # cached replies are not resent
        assert _model_requests(student_server) == answered  # the answers were not redone
        assert json.loads((answers / "manifest.json").read_text())["finished_at"] == finished_at
        report = json.loads((stage / "report.json").read_text())
        samples = pq.read_table(stage / "samples.parquet").to_pylist()
        assert report["totals"]["samples"] == len(samples) == len(before_kill) + len(resent)
    finally:
        if child.poll() is None:
            child.kill()
        proxy.stop()
