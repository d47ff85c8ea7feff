"""The transformers backend on the tiny model: greedy is reproducible and matches unbatched
generation, too-long prompts become error rows, seeded sampling is reproducible."""

from __future__ import annotations

import pytest

from skyray.llm.generation import (
    BackendUnavailable,
    GenerationConfig,
    GenRequest,
    SamplingConfig,
    TransformersConfig,
    generate_all,
    make_generator,
)
from skyray.prompt import render_prompt

QUESTIONS = ["What is 2 + 3?", "Let $x = 4$. What is $x^2$?", "1 2 3", "Compute 7 * 6."]


def _cfg(model, **kw) -> GenerationConfig:
    sampling = kw.pop("sampling", SamplingConfig(max_new_tokens=12))
    return GenerationConfig(
        backend=kw.pop("backend", "transformers"),
        model=str(model),
        sampling=sampling,
        transformers=TransformersConfig(batch_size=kw.pop("batch_size", 4)),
        **kw,
    )


def _requests(n_samples=1):
    return [
        GenRequest(f"{i}:{s}", render_prompt(q), s)
        for i, q in enumerate(QUESTIONS)
        for s in range(n_samples)
    ]


def test_greedy_batched_equals_one_by_one(tiny_model_dir):
    batched = make_generator(_cfg(tiny_model_dir, batch_size=4)).generate(_requests())
    single = make_generator(_cfg(tiny_model_dir, batch_size=1)).generate(_requests())
    assert [r.key for r in batched] == [f"{i}:0" for i in range(len(QUESTIONS))]
    assert [r.text for r in batched] == [r.text for r in single]
    assert all(r.error is None and r.completion_tokens > 0 for r in batched)
    assert all(r.finish_reason in ("stop", "length") for r in batched)
    assert all(r.completion_tokens <= 12 for r in batched)


def test_too_long_prompt_is_an_error_row_not_a_crash(tiny_model_dir):
    gen = make_generator(_cfg(tiny_model_dir, max_prompt_tokens=60))
    reqs = _requests() + [GenRequest("long", render_prompt("very long " * 100))]
    results, stats = generate_all(gen, reqs, chunk_size=2)
    assert len(results) == len(reqs)
    long = results[-1]
    assert long.key == "long" and long.text == ""
    assert long.error.startswith("prompt-too-long:") and long.prompt_tokens > 60
    assert stats.errors == sum(r.error is not None for r in results) >= 1
    assert stats.as_dict()["output_tokens_per_s"] > 0


def test_seeded_sampling_is_reproducible(tiny_model_dir):
    sampling = SamplingConfig(max_new_tokens=10, temperature=1.0, num_samples=3, seed=5)
    a = make_generator(_cfg(tiny_model_dir, sampling=sampling)).generate(_requests(3))
    b = make_generator(_cfg(tiny_model_dir, sampling=sampling)).generate(_requests(3))
    assert [r.text for r in a] == [r.text for r in b]
    per_problem = [r.text for r in a if r.key.startswith("0:")]
    assert len(set(per_problem)) > 1  # the three samples of one prompt differ


def test_bad_model_and_bad_config(tmp_path):
    with pytest.raises(BackendUnavailable, match="not found"):
        make_generator(_cfg(tmp_path / "missing"))
    with pytest.raises(ValueError, match="temperature > 0"):
        SamplingConfig(num_samples=4)
    with pytest.raises(ValueError, match="model is empty"):
        make_generator(GenerationConfig())


def test_vllm_backend_is_import_guarded(tiny_model_dir):
    from skyray.llm.vllm_batch import vllm_available

    if vllm_available():
        pytest.skip("vllm is installed here")
    with pytest.raises(BackendUnavailable, match="skyray\\[gpu\\]"):
        make_generator(_cfg(tiny_model_dir, backend="vllm"))


def test_api_key_is_never_a_config_value():
    from skyray.llm.generation import OpenAIConfig

    with pytest.raises(ValueError, match="environment variable"):
        OpenAIConfig(api_key_env="sk-abc123")
