"""The one ``ray.data.llm`` batch path: vLLM engines as Ray Data actors on a GPU cluster.

Rows ``{key, messages | prompt, sampling}`` go through ``vLLMEngineProcessorConfig`` +
``build_processor`` (the older ``build_llm_processor`` is the fallback): chat messages get the
model's chat template, a raw prompt (evaluation's SFT prompt) is sent as is. Rows come back as
``{key, text, prompt_tokens, completion_tokens, finish_reason}`` (plus ``error`` for a row the
engine failed: ``should_continue_on_error``), with the real finish reason (``"length"`` for a
cut reply, :mod:`skyray.finish`). Two users:

- :class:`VLLMGenerator`: evaluation's ``generation.backend=vllm`` (``num_replicas`` engines of
  ``tensor_parallel_size`` GPUs; prompts over ``max_prompt_tokens`` fail before an engine);
- :func:`prefill_cache`: one-shot synthesis request sets (e.g. answer augmentation of every
  seed) answered in one batch job and stored under the HTTP client's cache keys, so the
  pipeline that follows finds them answered.

Needs the ``gpu`` extra (vLLM); importing this module imports neither vLLM nor Ray Data LLM.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import partial
from typing import Any

from skyray.finish import engine_finish_reason
from skyray.llm.cache import ResponseCache, request_key
from skyray.llm.generation import BackendUnavailable, GenerationConfig, GenRequest, GenResult
from skyray.llm.types import normalise_sampling

logger = logging.getLogger(__name__)
ERROR_COLUMN = "__inference_error__"


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


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


def engine_config(
    model_source: str,
    engine_kwargs: dict[str, Any],
    *,
    concurrency: int = 1,
    batch_size: int = 64,
    chat: bool = True,
):
    """The processor config: chat rows get the chat template and engine-side tokenisation;
    raw prompts none of the extra stages."""
    config_cls, _ = _processor_api()
    stages = (
        {}
        if chat
        else dict.fromkeys(("chat_template_stage", "tokenize_stage", "detokenize_stage"), False)
    )
    return config_cls(
        model_source=model_source,
        engine_kwargs=engine_kwargs,
        concurrency=concurrency,
        batch_size=batch_size,
        should_continue_on_error=True,
        **stages,
    )


def to_engine_row(row: dict[str, Any]) -> dict[str, Any]:
    """Preprocess: a request row -> the processor's input (messages or prompt + vLLM params)."""
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
    text = {"messages": row["messages"]} if "messages" in row else {"prompt": row["prompt"]}
    return {"key": row["key"], **text, "sampling_params": params}


def from_engine_row(row: dict[str, Any], max_model_len: int | None = None) -> dict[str, Any]:
    """Postprocess: the processor's output -> a reply keyed like its request."""
    error = row.get(ERROR_COLUMN)
    out = {
        "key": row["key"],
        "text": "" if error else row.get("generated_text") or "",
        "prompt_tokens": int(row.get("num_input_tokens") or 0),
        "completion_tokens": int(row.get("num_generated_tokens") or 0),
        "finish_reason": "" if error else engine_finish_reason(row, max_model_len),
    }
    if error:
        out["error"] = str(error)
    return out


def run_rows(rows: list[dict[str, Any]], config, max_model_len: int | None) -> list[dict[str, Any]]:
    """Request rows through one processor -> reply rows (:func:`from_engine_row`)."""
    import ray.data

    _, build = _processor_api()
    postprocess = partial(from_engine_row, max_model_len=max_model_len)
    processor = build(config, preprocess=to_engine_row, postprocess=postprocess)
    return processor(ray.data.from_items(rows)).take_all()


def prefill_cache(
    cache: ResponseCache,
    model: str,
    model_source: str,
    requests: list[tuple[list[dict[str, str]], dict[str, Any]]],
    *,
    concurrency: int = 1,
    batch_size: int = 64,
    engine_kwargs: dict[str, Any] | None = None,
) -> int:
    """Answer the uncached (messages, sampling) ``requests`` in one batch job and cache them;
    returns how many were generated (a row the engine failed is not cached)."""
    rows = []
    for messages, sampling in requests:
        params = normalise_sampling(sampling)
        key = request_key(model, messages, params)
        if cache.get(key) is None:
            rows.append({"key": key, "messages": messages, "sampling": params})
    if not rows:
        return 0
    engine_kwargs = engine_kwargs or {"max_model_len": 4096}
    config = engine_config(
        model_source, engine_kwargs, concurrency=concurrency, batch_size=batch_size
    )
    for out in run_rows(rows, config, engine_kwargs.get("max_model_len")):
        if "error" not in out:
            cache.put(out.pop("key"), out)
    return len(rows)


# ----- evaluation's backend -------------------------------------------------------------------
def processor_config(cfg: GenerationConfig):
    """Evaluation's processor config (raw prompts, engine-side tokenisation)."""
    v = cfg.vllm
    return engine_config(
        cfg.model,
        {
            "tensor_parallel_size": v.tensor_parallel_size,
            "max_model_len": v.max_model_len,
            "gpu_memory_utilization": v.gpu_memory_utilization,
            "dtype": v.dtype,
            "max_num_seqs": v.max_num_seqs,
        },
        concurrency=v.num_replicas,
        batch_size=v.batch_size,
        chat=False,
    )


def sampling_params(cfg: GenerationConfig, sample_index: int) -> dict:
    s = cfg.sampling
    params = {"max_tokens": s.max_tokens, "temperature": s.temperature}
    if s.temperature > 0:
        params.update(top_p=s.top_p, seed=s.seed + sample_index)
    return params


class VLLMGenerator:
    name = "vllm"
    one_call = True  # each generate() starts its engines: send everything at once

    def __init__(self, cfg: GenerationConfig, address: str | None = None) -> None:
        if not vllm_available():
            raise BackendUnavailable(
                "the vllm backend needs vLLM on a GPU machine: pip install 'skyray[gpu]' "
                "(or use generation.backend=openai against a vLLM server)"
            )
        from transformers import AutoTokenizer

        from skyray.cluster import init_ray

        self.cfg = cfg
        init_ray(address)
        self.tokenizer = AutoTokenizer.from_pretrained(cfg.model)

    def close(self) -> None:
        pass

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        results: dict[str, GenResult] = {}
        rows = []
        limit = self.cfg.max_prompt_tokens
        for req in requests:
            n_prompt = len(self.tokenizer(req.prompt)["input_ids"])
            if n_prompt > limit:
                error = f"prompt-too-long: {n_prompt} tokens > {limit}"
                results[req.key] = GenResult(req.key, error=error, prompt_tokens=n_prompt)
                continue
            sampling = sampling_params(self.cfg, req.sample_index)
            rows.append({"key": req.key, "prompt": req.prompt, "sampling": sampling})
        if rows:
            config = processor_config(self.cfg)
            for out in run_rows(rows, config, self.cfg.vllm.max_model_len):
                error = out.get("error")
                results[out["key"]] = GenResult(
                    out["key"],
                    text=out["text"],
                    error=f"engine: {error}" if error else None,
                    prompt_tokens=out["prompt_tokens"],
                    completion_tokens=out["completion_tokens"],
                    finish_reason=out["finish_reason"],
                )
        for req in requests:  # never silently lose a row
            results.setdefault(
                req.key, GenResult(req.key, error="engine: row missing from vLLM output")
            )
        return [results[r.key] for r in requests]
