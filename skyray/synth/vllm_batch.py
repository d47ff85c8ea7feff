"""In-process vLLM on GPU clusters through ``ray.data.llm`` (batch generation, no server).

The multi-step operators (Evol chains, Xwin verify/correct) talk to a teacher request by request,
which on GPUs is best served by vLLM replicas behind Ray Serve LLM (``skyray serve
backend=vllm``) and :class:`~skyray.synth.teacher.OpenAITeacher`. For one-shot request sets (e.g.
answer augmentation of every seed) a Ray Data batch job is cheaper: :func:`prefill_cache` runs
the uncached requests through ``vLLMEngineProcessorConfig`` + ``build_processor`` (the older name
``build_llm_processor`` is the fallback) and stores the replies under the same cache keys the
HTTP teacher uses, so the pipeline that follows finds them answered.

Needs the ``gpu`` extra (vLLM); importing this module does not import vLLM or Ray Data LLM.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from skyray.finish import engine_finish_reason
from skyray.synth.cache import ResponseCache, request_key
from skyray.synth.teacher import normalise_sampling


def _processor_api():
    try:
        from ray.data import llm
    except ImportError as exc:
        raise ValueError(f"ray.data.llm is not available: {exc}") from None
    build = getattr(llm, "build_processor", None) or getattr(llm, "build_llm_processor", None)
    if build is None:
        raise ValueError(
            "this Ray has neither ray.data.llm.build_processor nor build_llm_processor"
        )
    return llm.vLLMEngineProcessorConfig, build


def to_engine_row(row: dict[str, Any]) -> dict[str, Any]:
    """Preprocess: our request row -> the processor's input (messages + vLLM sampling params)."""
    sampling = dict(row["sampling"])
    params = {
        "temperature": sampling.get("temperature", 1.0),
        "top_p": sampling.get("top_p", 1.0),
        "max_tokens": sampling.get("max_tokens", 1024),
    }
    if sampling.get("seed") is not None:
        params["seed"] = sampling["seed"]
    if sampling.get("stop"):
        params["stop"] = sampling["stop"]
    return {"key": row["key"], "messages": row["messages"], "sampling_params": params}


def from_engine_row(row: dict[str, Any], max_model_len: int | None = None) -> dict[str, Any]:
    """Postprocess: the processor's output -> a cache entry keyed like the HTTP teacher's, with
    the real finish reason (``"length"`` for a cut reply: the operators drop it as truncated)."""
    return {
        "key": row["key"],
        "text": row.get("generated_text") or "",
        "prompt_tokens": int(row.get("num_input_tokens") or 0),
        "completion_tokens": int(row.get("num_generated_tokens") or 0),
        "finish_reason": engine_finish_reason(row, max_model_len),
    }


def generate_with_ray_data_llm(
    requests: list[dict[str, Any]],
    model_source: str,
    *,
    concurrency: int = 1,
    batch_size: int = 64,
    engine_kwargs: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``requests``: rows ``{key, messages, sampling}`` -> rows ``{key, text, *_tokens}``."""
    import ray.data

    config_cls, build = _processor_api()
    engine_kwargs = engine_kwargs or {"max_model_len": 4096}
    config = config_cls(
        model_source=model_source,
        engine_kwargs=engine_kwargs,
        concurrency=concurrency,
        batch_size=batch_size,
    )
    postprocess = partial(from_engine_row, max_model_len=engine_kwargs.get("max_model_len"))
    processor = build(config, preprocess=to_engine_row, postprocess=postprocess)
    return processor(ray.data.from_items(requests)).take_all()


def prefill_cache(
    cache: ResponseCache,
    model: str,
    model_source: str,
    requests: list[tuple[list[dict[str, str]], dict[str, Any]]],
    **kwargs: Any,
) -> int:
    """Answer the uncached (messages, sampling) ``requests`` in one batch job and cache them;
    returns how many were generated."""
    rows = []
    for messages, sampling in requests:
        params = normalise_sampling(sampling)
        key = request_key(model, messages, params)
        if cache.get(key) is None:
            rows.append({"key": key, "messages": messages, "sampling": params})
    if not rows:
        return 0
    for out in generate_with_ray_data_llm(rows, model_source, **kwargs):
        cache.put(out.pop("key"), out)
    return len(rows)
