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

    from skyray.llm.ratelimit import shared_limiter

    start = time.monotonic()
    limiter = shared_limiter("test-limiter", rpm=60, tpm=0)  # 1/s, burst 60
    again = shared_limiter("test-limiter", rpm=60, tpm=0)  # another worker: the same budget
    assert again.actor._actor_id == limiter.actor._actor_id  # one named actor, one budget
    assert ray.get([limiter.actor.reserve.remote(1, 0) for _ in range(60)]) == [0.0] * 60
    wait = ray.get(again.actor.reserve.remote(1, 0))  # drained by the other caller
    # a 60/min bucket refills at most `elapsed` requests: the 61st waits for the rest of its
    # second, however slow the machine (no fixed threshold that a loaded machine could miss)
    assert wait >= 1.0 - (time.monotonic() - start) - 1e-3
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


class HoldingProxy:
    """An HTTP proxy in front of the teacher that holds every request until ``release`` is set
    (``arrived`` says one is held): a chunk of tasks blocked mid-flight, without any timing."""

    def __init__(self, upstream: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import httpx

        self.arrived, self.release = threading.Event(), threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.arrived.set()
                proxy.release.wait()
                path = self.path.removeprefix("/v1")
                reply = httpx.post(
                    upstream + path,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
                self.send_response(reply.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


def test_progress_is_answered_while_a_chunk_is_blocked(ray_cluster, teacher_url, seeds_path):
    """``usage()`` (the progress poll) returns while every worker's chunk is held in the teacher;
    before, it queued behind the running chunk (one task at a time per actor)."""
    from concurrent.futures import ThreadPoolExecutor

    import ray

    from skyray.data.seeds import read_problems
    from skyray.llm import Usage
    from skyray.synth.runner import RayEngine
    from skyray.synth.tasks import TaskPlanner

    proxy = HoldingProxy(teacher_url)
    try:
        cfg = load_config(
            SynthConfig,
            None,
            [f"teacher.base_url={proxy.url}", "num_workers=1", "worker_num_cpus=0.25"],
        )
        seeds = read_problems(seeds_path)
        engine = RayEngine(cfg, str(seeds_path.parent / "progress-cache.sqlite"), seeds, None)
        planner = TaskPlanner(seeds, cfg, 1, "1a")
        running = engine.workers[0].run.remote([planner.task(0)])
        queued = engine.workers[0].run.remote([planner.task(1)])
        assert proxy.arrived.wait(120)  # the first chunk is inside the teacher, held there
        pool = ThreadPoolExecutor(1)
        polled = pool.submit(engine.usage)
        try:
            # a hang guard only: the poll must come back while the chunk is still held
            usage = polled.result(timeout=120)
            held = not proxy.release.is_set()
            pending = ray.wait([running, queued], timeout=0)[1]
        finally:
            proxy.release.set()  # never leave the actor (or the poll) blocked
            pool.shutdown(wait=True)
        assert isinstance(usage, Usage) and held
        assert pending == [running, queued]  # both chunks were still running/queued
        results = ray.get([running, queued], timeout=300)
        assert [r[0].index for r in results] == [0, 1]
        assert engine.usage().requests >= 2
    finally:
        proxy.close()
