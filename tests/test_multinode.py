"""Several Ray nodes on one machine (``ray.cluster_utils.Cluster``): a head node where the driver
connects (1 CPU, no ``worker_node`` resource) and a worker node offering ``worker_node``.
Synthesis actors, curation actors and tasks, and SFT workers ask for ``worker_node`` through
their configs' ``worker_resources``, so Ray can only place them on the node without the driver;
each step's output equals the single-node output. A step folder that a worker node does not
see (declared node-local there through ``SKYRAY_NODE_LOCAL_PATHS``, as a node's local scratch
disk would be) stops the step at once with one line, through the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

import pyarrow.parquet as pq
import pytest

from tests.cli import free_port, run_skyray

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # several Ray drivers each
ON_WORKER = "worker_resources.worker_node=0.01"
SMALL_INDEX = ["--benchmarks", "gsm8k"]  # decontaminate against GSM8K test only: a quick index
HANG_GUARD_S = 900  # stops a hang from blocking CI; the checks are on outputs and exit codes


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Head (the driver's node) + one worker node; own temp dir and ports (a shared machine)."""
    from ray.cluster_utils import Cluster

    local_root = tmp_path_factory.mktemp("node-local")
    temp_dir = tempfile.mkdtemp(prefix="srmn", dir="/tmp")  # short: Unix socket paths
    os.makedirs(os.path.join(temp_dir, "ray"))  # where Ray records the cluster's address
    saved = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = temp_dir  # the cluster's address file goes here, not /tmp/ray
    common = {"include_dashboard": False, "object_store_memory": 200 * 2**20}
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            **common,
            "num_cpus": 1,
            "gcs_server_port": free_port(),
            "temp_dir": temp_dir,
            "dashboard_port": free_port(),
            "dashboard_agent_listen_port": free_port(),
            "metrics_export_port": free_port(),
        },
    )
    cluster.add_node(
        **common,
        num_cpus=2,
        resources={"worker_node": 4},
        dashboard_agent_listen_port=free_port(),
        metrics_export_port=free_port(),
        env_vars={"SKYRAY_NODE_LOCAL_PATHS": str(local_root)},
    )
    cluster.wait_for_nodes()
    try:
        yield cluster, local_root
    finally:
        cluster.shutdown()
        if saved is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = saved


def skyray(*args: str, cwd) -> subprocess.CompletedProcess:
    return run_skyray(*args, cwd=cwd, timeout=HANG_GUARD_S, unset=("RAY_ADDRESS", "RAY_TMPDIR"))


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def refused(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("skyray: error: ") and "not visible from node(s)" in last
    return last


def rows(folder) -> list[dict]:
    return pq.read_table(folder).to_pylist()


@pytest.fixture(scope="module")
def samples(data_dir, tmp_path_factory):
    from skyray.testing.curate_workload import make_workload

    path = tmp_path_factory.mktemp("in") / "samples.jsonl"
    make_workload(data_dir, 200, seed=3, leak_rate=0.05).write_jsonl(path)
    return path


def test_curation_on_the_worker_node_equals_one_node(cluster, samples, tmp_path):
    c, _ = cluster
    one = tmp_path / "one"  # the same chunks on one node, without Ray
    ok(
        skyray(
            "curate",
            str(samples),
            "--out",
            str(one),
            "engine=local",
            "chunk_mb=0.05",
            *SMALL_INDEX,
            cwd=tmp_path,
        )
    )
    multi = tmp_path / "multi"
    out = skyray(
        "curate", str(samples), "--out", str(multi), "--address", c.address, ON_WORKER,
        "num_workers=2", "chunk_mb=0.05", *SMALL_INDEX, cwd=tmp_path,
    )  # fmt: skip
    ok(out)
    report = json.loads((multi / "report.json").read_text())
    assert report["engine"] == "ray" and report["chunks"] > 2
    assert report["rows"]["dropped"] > 0 and any(
        r.startswith("decontam:") for r in report["reasons"]
    )
    by_id = sorted(rows(multi / "kept"), key=lambda r: r["id"])
    assert by_id == sorted(rows(one / "kept"), key=lambda r: r["id"])

    def reasons(folder):
        return {r["id"]: (r["drop_reason"], r["drop_detail"]) for r in rows(folder / "dropped")}

    assert reasons(multi) == reasons(one)


def test_synthesis_actors_on_the_worker_node_equal_one_node(cluster, data_dir, tmp_path):
    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems

    c, _ = cluster
    problems = [p for p in load_benchmark("math-train", str(data_dir)) if p.level][::300][:24]
    seeds = tmp_path / "seeds.parquet"
    write_problems(problems, seeds)
    base = ["backend=local", "num_seed_synthetic=12", "num_normal=0", "num_hard=6"]
    one = ["synth", "--run-dir", str(tmp_path / "one"), "--seeds", str(seeds), *base]
    ok(skyray(*one, cwd=tmp_path))
    multi = ["synth", "--run-dir", str(tmp_path / "multi"), "--seeds", str(seeds), *base]
    multi += ["num_workers=2", "worker_num_cpus=0.25", "chunk_size=4", ON_WORKER]
    ok(skyray(*multi, "--address", c.address, cwd=tmp_path))
    one_rows = rows(tmp_path / "one" / "step-2-synth" / "synthetic.parquet")
    assert one_rows and rows(tmp_path / "multi" / "step-2-synth" / "synthetic.parquet") == one_rows


def test_sft_workers_on_the_worker_node_equal_one_node(cluster, tiny_model_dir, tmp_path):
    from skyray.train.trainer import METRICS_FILE, read_metrics
    from tests.train.conftest import sample_rows, write_curated

    c, _ = cluster
    data = write_curated(tmp_path, sample_rows(8)).parents[1]
    args = [
        "--data", str(data), f"model={tiny_model_dir}", "use_gpu=false", "num_workers=2",
        "micro_batch_size=1", "gradient_accumulation_steps=1", "global_batch_size=2",
        "max_steps=2", "max_length=128", "learning_rate=1e-3", "warmup_ratio=0.0",
        "cpus_per_worker=0.5",
    ]  # fmt: skip
    ok(skyray("sft", "--run-dir", str(tmp_path / "one"), *args, cwd=tmp_path))
    multi = ["sft", "--run-dir", str(tmp_path / "multi"), *args, ON_WORKER]
    ok(skyray(*multi, "--address", c.address, cwd=tmp_path))

    def losses(run):
        records = read_metrics(tmp_path / run / "step-4-sft" / METRICS_FILE)
        return [(r["step"], r["loss"]) for r in records if "loss" in r]

    assert [s for s, _ in losses("multi")] == [1, 2]
    for (_, a), (_, b) in zip(losses("one"), losses("multi"), strict=True):
        assert a == pytest.approx(b, rel=1e-6)
    one_model = (tmp_path / "one" / "step-4-sft" / "model" / "model.safetensors").read_bytes()
    assert (tmp_path / "multi" / "step-4-sft" / "model" / "model.safetensors").read_bytes() == (
        one_model
    )


def test_a_node_local_step_folder_stops_each_step_at_once(
    cluster, samples, tiny_model_dir, tmp_path
):
    """The worker node does not share ``local_root``: curation, synthesis and SFT with their
    folders there stop before any work, with one line naming the folder."""
    from tests.train.conftest import sample_rows, write_curated

    c, local_root = cluster
    out = local_root / "curate-out"
    last = refused(
        skyray("curate", str(samples), "--out", str(out), "--address", c.address, ON_WORKER,
               *SMALL_INDEX, cwd=tmp_path)
    )  # fmt: skip
    assert str(out) in last and not (out / "kept").exists()

    data = write_curated(tmp_path, sample_rows(4)).parents[1]
    run = local_root / "run"
    refused(
        skyray("sft", "--run-dir", str(run), "--data", str(data), f"model={tiny_model_dir}",
               "use_gpu=false", "num_workers=1", "global_batch_size=4", "micro_batch_size=4",
               "cpus_per_worker=0.5", ON_WORKER, "--address", c.address, cwd=tmp_path)
    )  # fmt: skip
    assert not (run / "step-4-sft" / "ray").exists()
