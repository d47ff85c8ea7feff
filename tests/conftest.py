"""Shared fixtures: the benchmark data directory, one session-wide local Ray cluster, and a
tiny real causal LM (2 layers, hidden 64) with a tokenizer built locally (no downloads)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("SKYRAY_DATA_DIR", str(DEFAULT_DATA))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = Path(os.environ["SKYRAY_DATA_DIR"])
    if not (path / "MATH" / "test.jsonl").is_file():
        pytest.fail(f"benchmark data not found under {path}; set SKYRAY_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray cluster for the whole session (2 CPUs, loopback, no dashboard)."""
    import ray

    from skyray.cluster import init_ray

    init_ray(num_cpus=2, dashboard=False, log_to_driver=False)
    assert ray.get_runtime_context().get_node_id()
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer, hidden-64 Llama with a byte-level BPE tokenizer, saved with save_pretrained
    so code under test loads it through the normal from_pretrained path."""
    from skyray.testing.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"))
