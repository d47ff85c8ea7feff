"""The vLLM backend (ray.data.llm) on a GPU machine: run with ``pytest -m gpu tests/eval`` and
``SKYRAY_GPU_MODEL`` set to a small local model (vLLM cannot load the 2-layer hidden-64 fixture)."""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.gpu


def test_vllm_eval_matches_transformers_greedy(tmp_path, data_dir):
    from skyray.llm.vllm_batch import vllm_available

    model = os.environ.get("SKYRAY_GPU_MODEL")
    if not vllm_available() or not model:
        pytest.skip("needs vLLM and SKYRAY_GPU_MODEL")
    from skyray.config import load_config
    from skyray.eval.run import EvalConfig, run_eval

    common = ['benchmarks=["gsm8k", "math"]', "limit=16", "generation.sampling.max_new_tokens=64"]
    vllm = run_eval(
        load_config(EvalConfig, None, [*common, "generation.backend=vllm"]),
        tmp_path / "v",
        5,
        model,
    )
    report = json.loads((vllm / "report.json").read_text())
    assert report["throughput"]["rows"] == 32 and report["throughput"]["errors"] == 0
    assert report["throughput"]["completion_tokens"] > 0
