"""The OpenAI-compatible backend against a real local server (``skyray serve``'s uvicorn engine
serving the tiny model through transformers): same greedy predictions as the in-process
transformers backend, failures kept as rows, unreachable endpoints one clear error."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from skyray.cli import main
from skyray.config import load_config
from skyray.eval.run import EvalConfig, run_eval
from skyray.llm.generation import GenerationConfig, OpenAIConfig, make_generator

BENCHMARKS = '["gsm8k", "math"]'


@pytest.fixture
def server(tiny_server):
    return tiny_server


def _eval_cfg(*extra: str) -> EvalConfig:
    return load_config(
        EvalConfig,
        None,
        [f"benchmarks={BENCHMARKS}", "limit=3", "generation.sampling.max_new_tokens=8", *extra],
    )


def _responses(path):
    rows = pq.read_table(path / "predictions.parquet").to_pylist()
    return [(r["id"], r["response"]) for r in rows], rows


def test_served_greedy_equals_in_process(tmp_path, server, tiny_model_dir, data_dir):
    local = run_eval(_eval_cfg(), tmp_path / "local", 5, tiny_model_dir)
    for api in ("completions", "chat"):
        served = run_eval(
            _eval_cfg(
                "generation.backend=openai",
                f"generation.openai.base_url={server}",
                f"generation.openai.api={api}",
                "generation.openai.concurrency=4",
            ),
            tmp_path / api,
            5,
            "tiny",
        )
        got, rows = _responses(served)
        want, _ = _responses(local)
        assert got == want, api
        assert len(rows) == 6 and all(r["error"] is None for r in rows)
        assert all(r["completion_tokens"] > 0 and r["model"] == "tiny" for r in rows)
        report = json.loads((served / "report.json").read_text())
        assert report["backend"] == "openai"
        assert report["benchmarks"]["math-test"]["num_problems"] == 3


def test_unreachable_endpoint_and_unknown_model_fail_fast(tmp_path, server, capsys):
    from skyray.serve.server import free_port

    dead = f"http://127.0.0.1:{free_port()}/v1"
    cfg = GenerationConfig(backend="openai", model="tiny", openai=OpenAIConfig(base_url=dead))
    with pytest.raises(ConnectionError, match="cannot reach"):
        make_generator(cfg)
    cfg = GenerationConfig(backend="openai", model="nope", openai=OpenAIConfig(base_url=server))
    with pytest.raises(ConnectionError, match="does not serve model 'nope'"):
        make_generator(cfg)
    code = main(
        [
            "eval",
            "run",
            "--model",
            "tiny",
            "--benchmarks",
            "gsm8k",
            "--run-dir",
            str(tmp_path),
            "generation.backend=openai",
            f"generation.openai.base_url={dead}",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("skyray: error: cannot reach")


def test_timed_out_requests_are_error_rows(tmp_path, server, data_dir):
    path = run_eval(
        _eval_cfg(
            "limit=2",
            "generation.backend=openai",
            f"generation.openai.base_url={server}",
            "generation.openai.timeout_s=0.001",
            "generation.openai.max_retries=0",
        ),
        tmp_path / "run",
        5,
        "tiny",
    )
    rows = pq.read_table(path / "predictions.parquet").to_pylist()
    assert len(rows) == 4
    assert all(r["error"].startswith("api: APITimeoutError") for r in rows)
    report = json.loads((path / "report.json").read_text())
    assert report["benchmarks"]["gsm8k-test"]["errors"]["count"] == 2
    assert report["throughput"]["errors"] == 4
