"""Row generation (evaluation, verifiers, self-compare answers): one interface over three
backends, with the configs that choose between them.

- ``transformers``: batched ``generate`` in this process (CPU tests, small models).
- ``openai``: any OpenAI-compatible endpoint (``skyray serve``, ``vllm serve``, a hosted API),
  completions or chat, with bounded concurrency.
- ``vllm``: in-process vLLM through ``ray.data.llm`` on a GPU cluster (tensor parallel, replicas).

Every backend takes :class:`GenRequest` rows and returns one :class:`GenResult` per row, in order.
A row that fails (prompt too long, engine or API error) comes back with ``error`` set instead of
raising, so one bad row never kills an evaluation; only a backend that cannot start at all (model
missing, endpoint unreachable, vLLM not installed) raises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from skyray.config import require
from skyray.llm.config import SamplingConfig

logger = logging.getLogger(__name__)
BACKENDS = ("transformers", "openai", "vllm")


class BackendUnavailable(ValueError):
    """A backend that cannot run here (package missing, model not found, endpoint down)."""


@dataclass(kw_only=True)
class TransformersConfig:
    batch_size: int = 8  # prompts per generate() call
    dtype: str = "float32"  # torch dtype name ("bfloat16" on capable hardware)
    device: str = "cpu"
    num_threads: int = 0  # torch intra-op threads (0 = leave torch's default)

    def __post_init__(self) -> None:
        require(self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        require(
            self.dtype in ("float32", "bfloat16", "float16"), f"unsupported dtype {self.dtype!r}"
        )


@dataclass(kw_only=True)
class OpenAIConfig:
    base_url: str = "http://127.0.0.1:8000/v1"  # the endpoint's /v1 root
    api: str = "completions"  # "completions" (raw prompt, as in SFT) or "chat"
    api_key_env: str = "OPENAI_API_KEY"  # name of the env var holding the key (never the key)
    concurrency: int = 8  # requests in flight
    timeout_s: float = 120.0  # per request
    max_retries: int = 2  # per request, on connection errors / 429 / 5xx

    def __post_init__(self) -> None:
        require(self.api in ("completions", "chat"), f"api must be completions|chat: {self.api}")
        require(self.concurrency >= 1, f"concurrency must be >= 1, got {self.concurrency}")
        require(self.timeout_s > 0, f"timeout_s must be > 0, got {self.timeout_s}")
        require(self.max_retries >= 0, f"max_retries must be >= 0, got {self.max_retries}")
        require(
            self.base_url.startswith(("http://", "https://")),
            f"base_url must be an http(s) URL, got {self.base_url!r}",
        )
        require(
            "=" not in self.api_key_env and not self.api_key_env.startswith("sk-"),
            "api_key_env names an environment variable, not the key itself",
        )


@dataclass(kw_only=True)
class VLLMConfig:
    tensor_parallel_size: int = 1  # GPUs per engine
    num_replicas: int = 1  # engines (Ray Data actors) in parallel
    batch_size: int = 64  # rows per Ray Data batch sent to an engine
    max_model_len: int = 4096  # prompt + generation, in tokens
    gpu_memory_utilization: float = 0.9
    dtype: str = "auto"
    max_num_seqs: int = 256  # sequences the engine schedules together

    def __post_init__(self) -> None:
        require(self.tensor_parallel_size >= 1, "tensor_parallel_size must be >= 1")
        require(self.num_replicas >= 1, "num_replicas must be >= 1")
        require(self.batch_size >= 1, "batch_size must be >= 1")
        require(0 < self.gpu_memory_utilization <= 1, "gpu_memory_utilization must be in (0, 1]")


@dataclass(kw_only=True)
class GenerationConfig:
    backend: str = "transformers"  # "transformers", "openai" or "vllm"
    model: str = ""  # local path or model id (served name for "openai"); --model sets it
    max_prompt_tokens: int = 2048  # longer prompts fail their row with "prompt-too-long"
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    transformers: TransformersConfig = field(default_factory=TransformersConfig)
    openai: OpenAIConfig = field(default_factory=OpenAIConfig)
    vllm: VLLMConfig = field(default_factory=VLLMConfig)

    def __post_init__(self) -> None:
        require(self.backend in BACKENDS, f"backend must be one of {BACKENDS}: {self.backend!r}")
        require(self.max_prompt_tokens >= 1, "max_prompt_tokens must be >= 1")


@dataclass(frozen=True)
class GenRequest:
    key: str  # caller's row key (returned unchanged)
    prompt: str  # fully rendered prompt text
    sample_index: int = 0  # k-th sample of the same prompt


@dataclass
class GenResult:
    key: str
    text: str = ""
    error: str | None = None  # "prompt-too-long: ...", "engine: ...", "api: ..."; None if fine
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""


class Generator(Protocol):
    name: str
    # optional attribute ``one_call = True``: take all requests at once (progress is then the
    # backend's own, e.g. Ray Data's progress bars)

    def generate(self, requests: list[GenRequest]) -> list[GenResult]: ...

    def close(self) -> None: ...


def make_generator(cfg: GenerationConfig, address: str | None = None) -> Generator:
    """The backend ``cfg.backend`` names, started (model loaded / endpoint checked).
    ``address`` is the Ray cluster the ``vllm`` backend runs on (default: local/$RAY_ADDRESS)."""
    require(bool(cfg.model), "generation.model is empty: pass --model PATH_OR_ID")
    if cfg.backend == "transformers":
        from skyray.llm.hf import TransformersGenerator

        return TransformersGenerator(cfg)
    if cfg.backend == "openai":
        from skyray.llm.openai_generator import OpenAIGenerator

        return OpenAIGenerator(cfg)
    from skyray.llm.vllm_batch import VLLMGenerator

    return VLLMGenerator(cfg, address)


@dataclass
class Throughput:
    rows: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        secs = max(self.seconds, 1e-9)
        return {
            "rows": self.rows,
            "errors": self.errors,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows / secs, 3),
            "output_tokens_per_s": round(self.completion_tokens / secs, 2),
        }


def generate_all(
    gen: Generator,
    requests: list[GenRequest],
    chunk_size: int = 256,
    progress: Callable[[Throughput, int], None] | None = None,
) -> tuple[list[GenResult], Throughput]:
    """Run ``requests`` through ``gen`` in chunks, logging progress and throughput."""
    from skyray.console import format_duration

    results: list[GenResult] = []
    stats = Throughput()
    start = time.perf_counter()
    if getattr(gen, "one_call", False):  # e.g. vLLM: one Ray Data pipeline, engines started once
        chunk_size = max(len(requests), 1)
    for i in range(0, len(requests), chunk_size):
        chunk = gen.generate(requests[i : i + chunk_size])
        assert len(chunk) == len(requests[i : i + chunk_size]), "backend dropped rows"
        results.extend(chunk)
        stats.rows += len(chunk)
        stats.errors += sum(r.error is not None for r in chunk)
        stats.prompt_tokens += sum(r.prompt_tokens for r in chunk)
        stats.completion_tokens += sum(r.completion_tokens for r in chunk)
        stats.seconds = time.perf_counter() - start
        figures = stats.as_dict()
        left = (len(requests) - stats.rows) / figures["rows_per_s"] if figures["rows_per_s"] else 0
        logger.info(
            "generated %d/%d rows (%d errors), %.1f output tokens/s, %.2f rows/s%s",
            stats.rows,
            len(requests),
            stats.errors,
            figures["output_tokens_per_s"],
            figures["rows_per_s"],
            f", ETA {format_duration(left)}" if left > 0 else "",
        )
        if progress is not None:
            progress(stats, len(requests))
    return results, stats
