"""Fixtures of the synthesis tests: a small seed file and one deterministic teacher server
(uvicorn engine: the real HTTP protocol, started once per session in ~3 s)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def seeds_path(tmp_path_factory, data_dir):
    """24 MATH train problems (levels 1-5), written as a seeds Parquet."""
    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems

    problems = load_benchmark("math-train", str(data_dir))
    picked = [p for p in problems if p.level][::300][:24]
    path = tmp_path_factory.mktemp("seeds") / "seeds.parquet"
    write_problems(picked, path)
    return path


@pytest.fixture(scope="session")
def teacher_url(seeds_path):
    """Base URL (``.../v1``) of a deterministic teacher that knows the seed problems."""
    from skyray.serve.server import ServeConfig, running_server

    cfg = ServeConfig(engine="uvicorn", port=0, seeds_path=str(seeds_path))
    with running_server(cfg) as url:
        yield url


def server_stats(base_url: str) -> dict[str, int]:
    """Requests the server answered, by route."""
    import httpx

    root = base_url.rsplit("/v1", 1)[0]
    return httpx.get(root + "/stats", timeout=5).json()["requests"]
