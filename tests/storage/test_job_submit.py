"""``ray job submit`` end to end, as a cluster user runs SkyRay: a real ``ray start --head``
cluster on 127.0.0.1 (token authentication on, as Ray 2.60 starts it), ``jobs/pipeline.py``
submitted through the Jobs SDK with the working directory and the environment variables the job
needs in its runtime env; the run folder is found under the storage root, and a resubmitted job
skips every step. A job without a storage root stops with one line saying what to set."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

from tests.storage.local_cluster import LocalRayCluster, free_ports

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("step-1-seeds", "step-2-synth", "step-3-curate")


def wait(client, job_id: str, timeout_s: float = 900) -> str:
    from ray.job_submission import JobStatus

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get_job_status(job_id)
        if status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            return str(status)
        time.sleep(2)
    client.stop_job(job_id)
    raise AssertionError(f"job {job_id} still running after {timeout_s} s")


@pytest.fixture(scope="module")
def cluster():
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}")
    with LocalRayCluster(env, num_cpus=2) as running:
        yield running


@pytest.mark.slow  # ~2-3 min on 2 CPUs: a cluster start and three jobs
def test_pipeline_job_then_resubmit_skips_every_step(cluster, data_dir, tmp_path):
    storage = tmp_path / "storage"  # an absolute path every node (here: one) sees
    (port,) = free_ports(1)
    entrypoint = (
        "python jobs/pipeline.py --config configs/local/pipeline-small.yaml --run-dir runs/job "
        f"synth.teacher.base_url=http://127.0.0.1:{port}/v1"
    )
    runtime_env = {
        "working_dir": str(ROOT),
        "env_vars": {"SKYRAY_DATA_DIR": str(data_dir), "SKYRAY_STORAGE": str(storage)},
    }
    client = cluster.client()
    first = cluster.submit(entrypoint=entrypoint, runtime_env=runtime_env)
    status = wait(client, first)
    logs = client.get_job_logs(first)
    assert status == "SUCCEEDED", logs[-3000:]
    run = storage / "runs" / "job"
    for name in STEPS:
        assert (run / name / "_SUCCESS").is_file() and (run / name / "manifest.json").is_file()
    assert list((run / "step-3-curate" / "kept").glob("part-*.parquet"))
    assert f"run folder: {run}" in logs  # the storage's, not Ray's copy of the working dir
    stamps = {name: (run / name / "_SUCCESS").stat().st_mtime_ns for name in STEPS}
    # resubmitted (a fresh copy of the working dir): every step is skipped
    second = cluster.submit(entrypoint=entrypoint, runtime_env=runtime_env)
    assert wait(client, second) == "SUCCEEDED", client.get_job_logs(second)[-3000:]
    assert {name: (run / name / "_SUCCESS").stat().st_mtime_ns for name in STEPS} == stamps
    again = client.get_job_logs(second)
    assert all(re.search(rf"{name}\s+skipped", again) for name in STEPS), again[-3000:]


@pytest.mark.slow
def test_a_job_without_storage_root_is_refused_in_one_line(cluster, data_dir):
    client = cluster.client()
    job = cluster.submit(
        entrypoint="python jobs/seeds.py --config configs/local/seeds.yaml --run-dir runs/x",
        runtime_env={"working_dir": str(ROOT), "env_vars": {"SKYRAY_DATA_DIR": str(data_dir)}},
    )
    assert wait(client, job) == "FAILED"
    errors = [line for line in client.get_job_logs(job).splitlines() if "skyray: error" in line]
    assert len(errors) == 1 and "SKYRAY_STORAGE" in errors[0] and "runs/x" in errors[0]
