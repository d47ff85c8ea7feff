"""One small finished run for the observability tests, made the way a user makes one: a private
Ray head with a metrics export port (``ray start``), ``skyray pipeline`` (seeds -> synth with the
local deterministic teacher -> curate -> ZeRO-3 SFT of a tiny Llama -> eval) as a subprocess
writing to pipes, then ``skyray eval verify --ray`` on its samples, while a scraper reads the
head's Prometheus endpoint every 0.5 s (as Prometheus would). The metrics, console and notebook
tests all read this one run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.observe.cluster import RayHead, Scraper, free_port


@dataclass
class ObservedRun:
    run_dir: Path
    verify_dir: Path
    address: str
    env: dict
    scraper: Scraper
    pipeline: subprocess.CompletedProcess
    verify: subprocess.CompletedProcess
    seconds: float

    def skyray(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """Run ``skyray ARGS`` against this run's cluster, output to pipes."""
        return subprocess.run(
            [sys.executable, "-m", "skyray.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def pipeline_args(self, *extra: str) -> list[str]:
        return ["pipeline", "--address", self.address, *PIPELINE_OVERRIDES(self), *extra]


def PIPELINE_OVERRIDES(run: ObservedRun) -> list[str]:  # noqa: N802 - a table, as a function
    return run.env["SKYRAY_TEST_OVERRIDES"].split("\n")


def _overrides(run_dir: Path, model: Path, teacher_port: int) -> list[str]:
    return [
        f"run_dir={run_dir}",
        "steps=[seeds, synth, curate, sft, eval]",
        "local_teacher=true",
        "seeds.sources=[math-train]",
        "seeds.max_per_source=12",
        f"synth.teacher.base_url=http://127.0.0.1:{teacher_port}/v1",
        "synth.teacher.model=deterministic",
        "synth.num_seed_synthetic=12",
        "synth.num_normal=8",
        "synth.num_hard=4",
        "synth.coreset.enabled=false",  # the embedding model costs ~40 s here; tested elsewhere
        "curate.num_workers=1",
        "curate.worker_cpus=0.5",
        f"sft.model={model}",
        "sft.data_stage=1",
        "sft.max_length=2048",
        "sft.num_workers=1",
        "sft.use_gpu=false",
        "sft.cpus_per_worker=1",
        "sft.micro_batch_size=1",
        "sft.gradient_accumulation_steps=1",
        "sft.global_batch_size=1",
        "sft.max_steps=2",
        "sft.num_epochs=1",
        "eval.benchmarks=[gsm8k-test, math-test]",
        "eval.limit=3",
        "eval.generation.backend=transformers",
        "eval.generation.sampling.max_new_tokens=8",
    ]


_FAILURE: list[BaseException] = []  # pytest retries a failed session fixture for every test


@pytest.fixture(scope="session")
def observed_run(tmp_path_factory, data_dir, tiny_model_dir):
    if _FAILURE:
        pytest.fail(f"the observed run failed to set up: {_FAILURE[0]}")
    try:
        yield from _observed_run(tmp_path_factory, data_dir, tiny_model_dir)
    except Exception as exc:
        _FAILURE.append(exc)
        raise


def _observed_run(tmp_path_factory, data_dir, tiny_model_dir):
    for attempt in range(2):  # a shared machine can lose a fresh head before the driver joins
        root = tmp_path_factory.mktemp("observed")
        run_dir, verify_dir = root / "run", root / "run" / "verify"
        head = RayHead()
        scraper = Scraper(head.metrics_url)
        env = {
            **head.env,
            "SKYRAY_DATA_DIR": str(data_dir),
            "SKYRAY_PROGRESS_INTERVAL_S": "2",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "SKYRAY_TEST_OVERRIDES": "\n".join(_overrides(run_dir, tiny_model_dir, free_port())),
        }
        env.pop("RAY_ADDRESS", None)
        try:
            started = time.monotonic()
            run = ObservedRun(run_dir, verify_dir, head.address, env, scraper, None, None, 0.0)
            run.pipeline = run.skyray(*run.pipeline_args(), timeout=1200)
            if attempt == 0 and "Failed to connect to Ray cluster" in run.pipeline.stderr:
                continue  # the finally below stops this head; start another
            assert run.pipeline.returncode == 0, run.pipeline.stderr[-6000:]
            run.verify = run.skyray(
                "eval", "verify", "--ray", "--address", head.address,
                "--input", str(run_dir / "step-2-synth" / "synthetic.parquet"),
                "--out", str(verify_dir), "method=logprob", "generation.backend=transformers",
                f"generation.model={tiny_model_dir}", "batch_size=8",
            )  # fmt: skip
            assert run.verify.returncode == 0, run.verify.stderr[-6000:]
            run.seconds = time.monotonic() - started
            _settle(scraper)
            yield run
            return
        finally:
            scraper.stop()
            head.stop()


def _settle(scraper: Scraper, timeout_s: float = 60.0) -> None:
    """Wait until two scrapes in a row see the same series (the last exports arrived)."""
    deadline = time.monotonic() + timeout_s
    previous = None
    while time.monotonic() < deadline:
        time.sleep(3)
        snapshot = dict(scraper.seen)
        if snapshot and snapshot == previous:
            return
        previous = snapshot


os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
