"""cluster.yaml is a Ray cluster launcher config sized like the paper: 8-GPU 80 GB groups
(A100/A800 class and H100) for SFT, vLLM teachers and evaluation; CPU groups for curation and
API-teacher clients; a head that runs no work; setup commands that install SkyRay and give
every node the storage root and the benchmark data."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load() -> dict:
    return yaml.safe_load((ROOT / "cluster.yaml").read_text())


def test_node_types_and_resources():
    cfg = load()
    types = cfg["available_node_types"]
    assert cfg["head_node_type"] == "head" and types["head"]["resources"] == {"CPU": 0}
    gpu = {name: t for name, t in types.items() if t["resources"].get("GPU")}
    assert set(gpu) == {"gpu_a100_80g_8x", "gpu_h100_8x"}
    assert all(t["resources"]["GPU"] == 8 for t in gpu.values())
    assert gpu["gpu_a100_80g_8x"]["node_config"]["InstanceType"] == "p4de.24xlarge"  # A100 80GB
    assert gpu["gpu_h100_8x"]["node_config"]["InstanceType"] == "p5.48xlarge"  # H100 80GB
    assert gpu["gpu_h100_8x"]["resources"]["accelerator_type:H100"] == 8
    cpu = {name: t for name, t in types.items() if name not in gpu and name != "head"}
    assert set(cpu) == {"cpu_curation", "cpu_teacher_client"}
    assert all(t["resources"]["CPU"] >= 16 and "GPU" not in t["resources"] for t in cpu.values())
    for name, t in types.items():
        if name != "head":
            assert 0 <= t["min_workers"] <= t["max_workers"] <= cfg["max_workers"]
    assert sum(t["max_workers"] for n, t in types.items() if n != "head") >= cfg["max_workers"]


def test_setup_and_start_commands():
    cfg = load()
    setup = "\n".join(cfg["setup_commands"])
    assert "pip install -e '.[gpu]'" in setup
    assert "SKYRAY_STORAGE=s3://" in setup and "SKYRAY_DATA_DIR=" in setup
    assert "torch" not in setup  # the node image's CUDA torch is kept
    assert cfg["file_mounts"] == {"/home/ubuntu/skyray": "."}
    head = " ".join(cfg["head_start_ray_commands"])
    assert "ray start --head" in head and "--num-cpus=0" in head
    assert any("--address=$RAY_HEAD_IP:6379" in c for c in cfg["worker_start_ray_commands"])
