"""Which failures a request retries, how long it waits, and the ``tenacity`` policy doing it.

- retried with exponential backoff and jitter: 429, 408, 409, 5xx, connection errors, timeouts
  and unparseable (e.g. truncated) bodies; a ``Retry-After``/``retry-after-ms`` header sets the
  wait instead (capped at ``backoff_max_s``);
- failed at once: 400/413/422 (a request too long, a bad parameter): the same request would
  get the same answer;
- fatal (:class:`~skyray.llm.types.TeacherError`, stops the job): 401, 403, 404.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from skyray.llm.types import TeacherError

# client errors that the same request would get again: failed at once, not retried
NOT_RETRIED = ("http-400", "http-413", "http-422")


class AttemptFailed(Exception):
    """One failed attempt: its counted ``reason``, ``kind``/``detail`` for callers' messages,
    and the server's Retry-After (seconds) when it sent one."""

    def __init__(self, reason: str, kind: str, detail: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.kind, self.detail, self.retry_after = reason, kind, detail, retry_after


class BadResponse(ValueError):
    """A 200 that is not a completion; ``name`` is the counted reason's suffix."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name, self.detail = name, detail


def classify(exc: Exception, base_url: str, model: str, key_env: str) -> AttemptFailed:
    """The failed attempt ``exc`` was; raises :class:`TeacherError` for fatal errors."""
    import openai

    if isinstance(exc, openai.AuthenticationError):
        raise TeacherError(
            f"teacher at {base_url} rejected the API key from ${key_env} (HTTP 401)"
        ) from None
    if isinstance(exc, (openai.PermissionDeniedError, openai.NotFoundError)):
        raise TeacherError(
            f"teacher at {base_url}: HTTP {exc.status_code} for model {model!r} "
            "(wrong model name or URL?)"
        ) from None
    if isinstance(exc, openai.APITimeoutError):
        return AttemptFailed("timeout", "timeout", f"APITimeoutError: {_short(exc)}")
    if isinstance(exc, openai.APIConnectionError):
        return AttemptFailed("connection", "connection", f"APIConnectionError: {_short(exc)}")
    if isinstance(exc, openai.APIStatusError):
        return AttemptFailed(
            f"http-{exc.status_code}",
            "http",
            f"HTTP {exc.status_code}: {_short(exc)}",
            retry_after(exc.response.headers),
        )
    if isinstance(exc, BadResponse):
        return AttemptFailed(f"bad-response:{exc.name}", "bad-response", exc.detail)
    name = type(exc).__name__
    return AttemptFailed(f"bad-response:{name}", "bad-response", name)


def policy(
    max_retries: int,
    backoff_base_s: float,
    backoff_max_s: float,
    on_retry: Callable[[AttemptFailed], None],
):
    """A ``tenacity.AsyncRetrying`` for one request: retries :class:`AttemptFailed` outside
    :data:`NOT_RETRIED` up to ``max_retries`` times, waiting Retry-After or the backoff; the
    last failure is re-raised. Build one per request (tenacity keeps per-call state)."""
    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

    def retryable(exc: BaseException) -> bool:
        return isinstance(exc, AttemptFailed) and exc.reason not in NOT_RETRIED

    def wait(state) -> float:
        failed = state.outcome.exception()
        if failed.retry_after is not None:
            return min(failed.retry_after, backoff_max_s)
        base = min(backoff_max_s, backoff_base_s * 2 ** (state.attempt_number - 1))
        return base * (0.5 + random.random() / 2)

    return AsyncRetrying(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(max_retries + 1),
        wait=wait,
        before_sleep=lambda state: on_retry(state.outcome.exception()),
        reraise=True,
    )


def retry_after(headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _short(exc: Any, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "..."
