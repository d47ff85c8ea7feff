"""An address where no Ray cluster answers is one line and exit 2, through the real CLI, for a
step that starts Ray Data (curate) and one that starts Ray Train (sft); ``--address`` and
``RAY_ADDRESS`` alike. (Before: ``ray.init`` retried "Failed to connect to GCS" for minutes.)"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cli import free_port as closed_port
from tests.cli import run_skyray

HANG_GUARD_S = 120  # only stops a hang from blocking the suite; the check is the exit code


def run_cli(args: list[str], cwd, **env: str) -> subprocess.CompletedProcess:
    return run_skyray(*args, cwd=cwd, timeout=HANG_GUARD_S, **env)


def assert_one_line(proc: subprocess.CompletedProcess, address: str) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("skyray: error: no Ray cluster answers at") and address in last


@pytest.fixture()
def samples(tmp_path):
    path = tmp_path / "samples.jsonl"
    row = {"id": "a", "question": "What is 2 + 3?", "response": "2 + 3 = 5.\nThe answer is 5"}
    path.write_text(json.dumps(row) + "\n")
    return path


@pytest.mark.parametrize("how", ["flag", "env"])
def test_curate_with_an_unreachable_address_is_one_line(samples, tmp_path, how):
    address = f"127.0.0.1:{closed_port()}"
    args = ["curate", str(samples), "--out", str(tmp_path / "out")]
    if how == "flag":
        proc = run_cli([*args, "--address", address], tmp_path)
    else:
        proc = run_cli(args, tmp_path, RAY_ADDRESS=address)
    assert_one_line(proc, address)
    assert not (tmp_path / "out" / "_SUCCESS").exists()


@pytest.mark.parametrize("how", ["env"])  # the flag path is curate's above: one SFT run suffices
def test_sft_with_an_unreachable_address_is_one_line(tiny_model_dir, tmp_path, how):
    from tests.train.conftest import sample_rows, write_curated

    data = write_curated(tmp_path, sample_rows(4))
    address = f"ray://127.0.0.1:{closed_port()}"
    args = ["sft", "--run-dir", str(tmp_path), "--data", str(data.parents[1])]
    args += [f"model={tiny_model_dir}", "use_gpu=false", "num_workers=1", "global_batch_size=4"]
    if how == "flag":
        proc = run_cli([*args, "--address", address], tmp_path)
    else:
        proc = run_cli(args, tmp_path, RAY_ADDRESS=address)
    assert_one_line(proc, address.removeprefix("ray://"))
    assert not (tmp_path / "step-4-sft").exists()


def test_local_cluster_gives_serve_proxies_time_to_start(ray_cluster):
    """Serve's controller runs in the local cluster's processes: they see the longer proxy
    readiness timeout, so a proxy that starts slowly on busy cores is not killed."""
    from skyray.cluster import LOCAL_SERVE_ENV

    @ray_cluster.remote(num_cpus=0)
    def seen() -> dict:
        return {name: os.environ.get(name) for name in LOCAL_SERVE_ENV}

    got = ray_cluster.get(seen.remote())
    for name, value in LOCAL_SERVE_ENV.items():
        assert got[name] == os.environ.get(name, value)
        assert float(got[name]) >= 30
