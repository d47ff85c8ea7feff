"""Request and result types shared by every client and backend.

A *request* is chat messages (``[{"role": "user", "content": ...}]`` -> ``/v1/chat/completions``)
or a plain prompt string (-> ``/v1/completions``), plus sampling params (:data:`SAMPLING_KEYS`).
A :class:`Completion` is the text, token usage, ``finish_reason`` and, on failure, ``error`` (the
counted reason, e.g. ``"http-429 after 9 attempts"``) with ``error_kind``/``error_detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skyray.config import require

Messages = list[dict[str, str]]
RequestInput = Messages | str  # chat messages, or a prompt for /v1/completions
SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "seed", "stop")  # one choice per request


class TeacherError(ConnectionError):
    """A fatal endpoint problem (bad key, unreachable endpoint, unknown model): stop the job."""


@dataclass
class Completion:
    text: str = ""  # generated text ("" on error)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop", "length", ...
    error: str | None = None  # short reason when the request failed after retries
    cached: bool = False  # answered from the response cache
    attempts: int = 0  # HTTP attempts made (0 when cached)
    # what failed, for callers that phrase errors their own way: "timeout", "connection",
    # "http", "bad-response", "backend"; and the detail ("HTTP 500: ...", "JSONDecodeError")
    error_kind: str | None = None
    error_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def normalise_sampling(sampling: dict[str, Any] | None) -> dict[str, Any]:
    """Keep only the supported sampling keys, dropping Nones (the cache key depends on this)."""
    sampling = dict(sampling or {})
    unknown = sorted(set(sampling) - set(SAMPLING_KEYS))
    require(not unknown, f"unsupported sampling params {unknown}; supported: {SAMPLING_KEYS}")
    return {k: v for k, v in sampling.items() if v is not None}


def estimate_tokens(request: RequestInput, sampling: dict[str, Any]) -> int:
    """Tokens a request may use (prompt characters / 4 + its reply budget), for the rate budget."""
    chars = (
        len(request)
        if isinstance(request, str)
        else sum(len(m.get("content", "")) for m in request)
    )
    return chars // 4 + int(sampling.get("max_tokens") or 512)
