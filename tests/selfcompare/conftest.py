"""Fixtures for the self-compare tests: real training problems (GSM8K and MATH train) as a seeds
Parquet, and the deterministic backend served over real HTTP (uvicorn), which answers SFT
prompts as a deterministic student (right, wrong or without an answer) and the self-compare
prompts as a teacher."""

from __future__ import annotations

import pytest

from tests.serving import uvicorn_server


@pytest.fixture(scope="session")
def seeds_file(tmp_path_factory, data_dir):
    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems

    problems = load_benchmark("gsm8k-train", str(data_dir))[:14]
    problems += load_benchmark("math-train", str(data_dir))[:10]
    path = tmp_path_factory.mktemp("seeds") / "seeds.parquet"
    write_problems(problems, path)
    return path


@pytest.fixture(scope="session")
def student_server(seeds_file):
    yield from uvicorn_server(
        backend="deterministic", seeds_path=str(seeds_file), model_name="student"
    )
