"""The synthesis step end to end over real HTTP: output, lineage, manifest, and the
reliability targets (faults give the same output; a SIGKILLed job rerun gives the same output
without resending answered requests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from skyray.config import load_config
from skyray.llm.cache import ResponseCache
from skyray.records import SyntheticSample
from skyray.synth.config import SynthConfig
from skyray.synth.pipeline import CACHE, OUTPUT, read_samples, run_synth
from skyray.testing.faults import FaultProxy

ROOT = Path(__file__).resolve().parents[2]
SMALL = [
    "num_seed_synthetic=30",
    "num_normal=30",
    "num_hard=15",
    "coreset.embedder=hash",
    "coreset.use_ray=false",
    "coreset.size=12",
    "progress_interval_s=1",
]


def small_cfg(base_url: str, *extra: str) -> SynthConfig:
    return load_config(SynthConfig, None, [*SMALL, f"teacher.base_url={base_url}", *extra])


def rows(step_dir: Path) -> list[dict]:
    return pq.read_table(step_dir / OUTPUT).to_pylist()


def test_two_stage_output_lineage_and_manifest(teacher_url, seeds_path, tmp_path):
    step = run_synth(small_cfg(teacher_url), tmp_path / "run", 2, seeds_path)
    samples = read_samples(step / OUTPUT)
    manifest = json.loads((step / "manifest.json").read_text())
    assert manifest["rows"] == {"samples": 75, "phase_1a": 30, "phase_1b": 30, "phase_2": 15}
    assert len({s.id for s in samples}) == 75
    for s in samples:
        assert s.id == SyntheticSample.lineage_id(
            **{k: getattr(s, k) for k in SyntheticSample.LINEAGE}
        )
        assert s.response.endswith(f"\nThe answer is {s.answer}") and s.teacher == "deterministic"
        assert json.loads(s.sampling)["temperature"] == 0.7
        if s.operator.startswith("metamath"):
            assert s.gold is not None
    hard = [s for s in samples if s.stage == 2]
    assert len(hard) == 15 and all(s.level in (4, 5) for s in hard)
    first_ids = {s.id for s in read_samples(step / "seed_synthetic.parquet")}
    normal = samples[30:60]
    assert all(s.parent_id in first_ids or s.step > 1 for s in normal)  # 1b grows from 1a
    families = {s.operator.split(".")[0] for s in samples}
    assert families == {"metamath", "evol", "xwin"}
    assert any(s.step >= 2 for s in samples)  # evolution chains
    fobar = [s for s in samples if s.operator == "metamath.fobar"]
    assert all("unknown variable X" in s.question and s.answer == s.gold for s in fobar)
    assert manifest["coreset"]["selected"] == 12 and manifest["coreset"]["pool"] == 30
    assert manifest["coreset"]["coverage_radius"] <= manifest["coreset"]["random_subset_radius"]
    assert (
        manifest["usage"]["prompt_tokens"] > 0
        and manifest["drops"].get("evol:copied-parent", 0) > 0
    )
    assert "api_key" not in json.dumps(manifest).replace("api_key_env", "")
    # done: a rerun is skipped, a changed config is redone from the cache
    assert run_synth(small_cfg(teacher_url), tmp_path / "run", 2, seeds_path) == step
    run_synth(small_cfg(teacher_url, "num_hard=16"), tmp_path / "run", 2, seeds_path)
    again = json.loads((step / "manifest.json").read_text())
    assert again["usage"]["sent"] < again["usage"]["requests"] / 10  # almost all from the cache
    assert rows(step)[:75] == [r for r in rows(step)][:75] and again["rows"]["phase_2"] == 16


def test_faults_at_25_percent_give_the_fault_free_output(teacher_url, seeds_path, tmp_path):
    clean = run_synth(small_cfg(teacher_url), tmp_path / "clean", 2, seeds_path)
    upstream = teacher_url.rsplit("/v1", 1)[0]
    # A stall outlasts the client's timeout by seconds, and the timeout is far above a healthy
    # reply's latency even at load average 40, so only injected faults cost retries (a 0.5 s
    # timeout once timed out healthy replies on a loaded machine until the retries ran out).
    with FaultProxy(upstream, fault_rate=0.25, seed=7, stall_s=8.0, retry_after_s=0.05) as proxy:
        faulty = run_synth(
            small_cfg(
                proxy.url + "/v1",
                "teacher.timeout_s=5",
                "teacher.max_retries=20",
                "teacher.backoff_base_s=0.01",
                "teacher.max_concurrency=16",
            ),
            tmp_path / "faulty",
            2,
            seeds_path,
        )
        faults = dict(proxy.stats.faults)
    assert set(faults) == {"429", "500", "503", "drop", "stall", "truncate"}
    assert sum(faults.values()) > 0.15 * proxy.stats.requests
    assert rows(faulty) == rows(clean)
    usage = json.loads((faulty / "manifest.json").read_text())["usage"]
    # every fault cost a retry (timeouts of slow replies on a loaded machine may add more)
    assert usage["failed"] == 0 and usage["retries"] >= 0.9 * sum(faults.values())
    kinds = {reason.split(":")[0] for reason in usage["errors"]}
    assert {"http-429", "http-500", "http-503", "connection", "timeout", "bad-response"} <= kinds


SMALLER = [*SMALL, "num_seed_synthetic=20", "num_normal=16", "num_hard=8"]


def _synth_cmd(run_dir: Path, seeds: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "skyray.cli", "synth", "--run-dir", str(run_dir), "--seeds", str(seeds),
        *SMALLER, f"teacher.base_url={base_url}", "teacher.max_concurrency=4",
    ]  # fmt: skip


def test_sigkill_then_rerun_equals_an_uninterrupted_run(teacher_url, seeds_path, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    upstream = teacher_url.rsplit("/v1", 1)[0]
    cfg = load_config(SynthConfig, None, [*SMALLER, f"teacher.base_url={teacher_url}"])
    reference = run_synth(cfg, tmp_path / "reference", 2, seeds_path)
    with FaultProxy(upstream, latency_s=0.02, record=True) as proxy:
        run_dir = tmp_path / "killed"
        cache_path = run_dir / "step-2-synth" / CACHE
        job = subprocess.Popen(_synth_cmd(run_dir, seeds_path, proxy.url + "/v1"), env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job.poll() is None:
            if cache_path.exists() and len(ResponseCache(cache_path)) >= 40:
                break
            time.sleep(0.1)
        assert job.poll() is None, "the job ended before it could be killed"
        os.kill(job.pid, signal.SIGKILL)
        job.wait()
        time.sleep(1.0)  # let the proxy finish recording requests that were mid-flight at the kill
        answered = ResponseCache(cache_path).keys()
        sent_before = len(proxy.sent_keys)
        assert not (run_dir / "step-2-synth" / "_SUCCESS").exists()
        rerun = subprocess.run(
            _synth_cmd(run_dir, seeds_path, proxy.url + "/v1"), env=env, timeout=120
        )
        assert rerun.returncode == 0
        resent = proxy.sent_keys[sent_before:]
    assert len(answered) >= 40
    assert not set(resent) & answered  # nothing already answered was sent again
    assert len(resent) == len(set(resent))
    assert rows(run_dir / "step-2-synth") == rows(reference)
