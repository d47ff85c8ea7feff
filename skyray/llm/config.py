"""The generation layer's configs: one :class:`SamplingConfig` for every stage and the
OpenAI-compatible client's :class:`TeacherConfig`.

``max_tokens`` is the one name of the reply budget (the OpenAI protocol's); the former
evaluation name ``max_new_tokens`` still loads with a one-line deprecation warning.
"""

from __future__ import annotations

import logging
from dataclasses import InitVar, dataclass
from typing import ClassVar

from skyray.config import require

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class SamplingConfig:
    RENAMED_KEYS: ClassVar[dict[str, str]] = {"max_new_tokens": "max_tokens"}

    temperature: float = 0.0  # 0 = greedy top-1 (the paper's evaluation setting)
    top_p: float = 1.0
    max_tokens: int = 2048  # tokens per reply (the paper's maximum generation length)
    num_samples: int = 1  # evaluation: k samples per problem for maj@k / pass@k (temperature > 0)
    seed: int = 0  # evaluation: sample i of a problem uses seed + i (synthesis seeds per request)
    max_new_tokens: InitVar[int | None] = None  # deprecated name of max_tokens

    def __post_init__(self, max_new_tokens: int | None) -> None:
        if max_new_tokens is not None:
            logger.warning("sampling.max_new_tokens is deprecated: use sampling.max_tokens")
            self.max_tokens = max_new_tokens
        require(self.max_tokens >= 1, f"max_tokens must be >= 1, got {self.max_tokens}")
        require(
            0 <= self.temperature <= 2, f"temperature must be in [0, 2], got {self.temperature}"
        )
        require(0 < self.top_p <= 1, f"top_p must be in (0, 1], got {self.top_p}")
        require(self.num_samples >= 1, f"num_samples must be >= 1, got {self.num_samples}")
        require(
            self.num_samples == 1 or self.temperature > 0,
            "num_samples > 1 needs temperature > 0 (greedy samples would all be identical)",
        )

    def request_params(self) -> dict[str, float | int]:
        """The per-request sampling params of a teacher (synthesis, self-compare)."""
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}


def teacher_sampling() -> SamplingConfig:
    """A synthesis teacher's defaults: the paper's temperature 0.7, 1,024-token replies."""
    return SamplingConfig(temperature=0.7, max_tokens=1024)


@dataclass(kw_only=True)
class TeacherConfig:
    base_url: str = "http://127.0.0.1:8000/v1"  # OpenAI-compatible endpoint (OpenAI, vLLM, Serve)
    model: str = "deterministic"  # model name sent with each request
    api_key_env: str = "OPENAI_API_KEY"  # env var holding the key; never the key itself
    max_concurrency: int = 64  # requests in flight per process (event loop)
    timeout_s: float = 60.0  # per attempt
    max_retries: int = 8  # attempts after the first before a request counts as failed
    backoff_base_s: float = 0.5  # first backoff; doubles per attempt, with jitter
    backoff_max_s: float = 60.0  # cap on one backoff (and on an honoured Retry-After)
    rpm: float = 0.0  # requests per minute for the whole job (0 = unlimited)
    tpm: float = 0.0  # tokens per minute for the whole job (0 = unlimited)
    price_prompt_per_mtok: float = 0.0  # USD per million prompt tokens (cost accounting)
    price_completion_per_mtok: float = 0.0  # USD per million completion tokens

    def __post_init__(self) -> None:
        require(
            self.base_url.startswith(("http://", "https://")),
            f"teacher.base_url must be an http(s) URL, got {self.base_url!r}",
        )
        require(bool(self.model), "teacher.model must be set")
        require(self.max_concurrency >= 1, "teacher.max_concurrency must be >= 1")
        require(self.timeout_s > 0, "teacher.timeout_s must be > 0")
        require(self.max_retries >= 0, "teacher.max_retries must be >= 0")
        require(self.backoff_base_s >= 0 and self.backoff_max_s >= 0, "backoffs must be >= 0")
        require(self.rpm >= 0 and self.tpm >= 0, "teacher.rpm/tpm must be >= 0")
        require(
            "=" not in self.api_key_env and not self.api_key_env.startswith("sk-"),
            "teacher.api_key_env names an environment variable, not the key itself",
        )

    @property
    def is_local(self) -> bool:
        from urllib.parse import urlparse

        return urlparse(self.base_url).hostname in ("127.0.0.1", "localhost", "::1")

    @property
    def prices(self) -> tuple[float, float]:
        return self.price_prompt_per_mtok, self.price_completion_per_mtok
