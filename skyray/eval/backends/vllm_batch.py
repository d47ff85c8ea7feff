"""The in-process vLLM backend: ``ray.data.llm`` batch inference on a GPU cluster.

``num_replicas`` vLLM engines run as Ray Data actors, each over ``tensor_parallel_size`` GPUs.
Prompts are the rendered SFT prompt (no chat template). Prompts over ``max_prompt_tokens`` are
failed before they reach an engine; rows the engine fails come back with ``__inference_error__``
(``should_continue_on_error``) and become error rows. Needs the ``gpu`` extra (vllm).
"""

from __future__ import annotations

import importlib.util
import logging

from skyray.eval.generate import BackendUnavailable, GenerationConfig, GenRequest, GenResult
from skyray.finish import engine_finish_reason

logger = logging.getLogger(__name__)
ERROR_COLUMN = "__inference_error__"


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def processor_config(cfg: GenerationConfig):
    """The ``vLLMEngineProcessorConfig`` for ``cfg`` (raw prompts, engine-side tokenisation)."""
    from ray.data.llm import vLLMEngineProcessorConfig

    v = cfg.vllm
    return vLLMEngineProcessorConfig(
        model_source=cfg.model,
        engine_kwargs={
            "tensor_parallel_size": v.tensor_parallel_size,
            "max_model_len": v.max_model_len,
            "gpu_memory_utilization": v.gpu_memory_utilization,
            "dtype": v.dtype,
            "max_num_seqs": v.max_num_seqs,
        },
        concurrency=v.num_replicas,
        batch_size=v.batch_size,
        should_continue_on_error=True,
        chat_template_stage=False,
        tokenize_stage=False,
        detokenize_stage=False,
    )


def sampling_params(cfg: GenerationConfig, sample_index: int) -> dict:
    s = cfg.sampling
    params = {"max_tokens": s.max_new_tokens, "temperature": s.temperature}
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
        import ray.data
        from ray.data.llm import build_processor

        results: dict[str, GenResult] = {}
        rows = []
        for req in requests:
            n_prompt = len(self.tokenizer(req.prompt)["input_ids"])
            if n_prompt > self.cfg.max_prompt_tokens:
                results[req.key] = GenResult(
                    req.key,
                    error=f"prompt-too-long: {n_prompt} tokens > {self.cfg.max_prompt_tokens}",
                    prompt_tokens=n_prompt,
                )
                continue
            rows.append(
                {
                    "key": req.key,
                    "prompt": req.prompt,
                    "sampling_params": sampling_params(self.cfg, req.sample_index),
                }
            )
        if rows:
            processor = build_processor(processor_config(self.cfg))
            for out in processor(ray.data.from_items(rows)).take_all():
                error = out.get(ERROR_COLUMN) or None
                results[out["key"]] = GenResult(
                    out["key"],
                    text="" if error else str(out.get("generated_text") or ""),
                    error=f"engine: {error}" if error else None,
                    prompt_tokens=int(out.get("num_input_tokens") or 0),
                    completion_tokens=int(out.get("num_generated_tokens") or 0),
                    finish_reason=""
                    if error
                    else engine_finish_reason(out, self.cfg.vllm.max_model_len),
                )
        missing = [r.key for r in requests if r.key not in results]
        for key in missing:  # never silently lose a row
            results[key] = GenResult(key, error="engine: row missing from vLLM output")
        return [results[r.key] for r in requests]
