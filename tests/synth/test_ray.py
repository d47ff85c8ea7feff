"""The Ray parts of synthesis on the session's local cluster: MiniLM embeddings through Ray
Data, the job-wide rate limiter actor, and worker actors running a phase."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from skyray.config import load_config
from skyray.synth.config import CoresetConfig, SynthConfig


def test_minilm_embeddings_with_ray_data(ray_cluster):
    from skyray.synth.coreset import embed_texts

    texts = [
        "What is 2 + 3?",
        "Compute the sum of two and three.",
        "Find the area of a circle of radius 2.",
    ]
    x = embed_texts(texts, CoresetConfig(use_ray=True, batch_size=2))
    assert x.shape == (3, 384) and np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
    sims = x @ x.T
    assert sims[0, 1] > sims[0, 2]  # paraphrases are closer than a different problem


def test_shared_rate_limiter_books_for_all_callers(ray_cluster):
    import ray

    from skyray.synth.ratelimit import shared_limiter

    start = time.monotonic()
    limiter = shared_limiter("test-limiter", rpm=60, tpm=0)  # 1/s, burst 60
    again = shared_limiter("test-limiter", rpm=60, tpm=0)  # another worker: the same budget
    assert ray.get([limiter.actor.reserve.remote(1, 0) for _ in range(60)]) == [0.0] * 60
    assert ray.get(again.actor.reserve.remote(1, 0)) > 0.5  # drained by the other caller
    asyncio.run(again.acquire(0))  # the 62nd request of this minute
    # no bucket of 60/min hands out 62 requests in less than 2 s, however slow the machine
    assert time.monotonic() - start >= 2.0


def test_worker_actors_write_the_same_rows(ray_cluster, teacher_url, seeds_path, tmp_path):
    import pyarrow.parquet as pq

    from skyray.synth.pipeline import OUTPUT, run_synth

    base = [
        "num_seed_synthetic=12",
        "num_normal=0",
        "num_hard=6",
        f"teacher.base_url={teacher_url}",
    ]
    local = run_synth(load_config(SynthConfig, None, base), tmp_path / "local", 2, seeds_path)
    actors = run_synth(
        load_config(
            SynthConfig, None, [*base, "num_workers=2", "chunk_size=4", "worker_num_cpus=0.25"]
        ),
        tmp_path / "actors",
        2,
        seeds_path,
    )
    assert pq.read_table(actors / OUTPUT).to_pylist() == pq.read_table(local / OUTPUT).to_pylist()
