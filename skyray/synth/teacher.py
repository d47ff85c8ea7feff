"""Teacher clients: one small interface over OpenAI-compatible endpoints and local backends.

A *request* is chat messages (``[{"role": "user", "content": ...}]`` -> ``/v1/chat/completions``)
or a plain prompt string (-> ``/v1/completions``), plus sampling params
(``temperature``, ``top_p``, ``max_tokens``, ``seed``, ``stop``). A *completion* is
:class:`Completion`: ``text``, token usage, ``finish_reason``, ``error`` (None on success) and
whether it came from the cache. Requests never raise for per-request failures: the error is in
``Completion.error``; only *fatal* problems (bad API key, unreachable endpoint at start-up, wrong
model) raise :class:`TeacherError`, a ``ConnectionError`` the CLI prints as one line.

Synchronous use (outside Ray, e.g. evaluation)::

    from skyray.synth.teacher import OpenAITeacher, TeacherConfig
    teacher = OpenAITeacher(TeacherConfig(base_url="http://127.0.0.1:8000/v1", model="tiny"))
    teacher.check()                                  # fail fast: unreachable / bad key / no model
    outs = teacher.complete_batch([[{"role": "user", "content": "1+1?"}], "Q: 2+2\\nA:"],
                                  {"temperature": 0.0, "max_tokens": 64})
    outs[0].text, outs[0].prompt_tokens, outs[0].error

Async use: ``await teacher.acomplete(messages_or_prompt, sampling)`` or ``await teacher.abatch(...)``
from any event loop; concurrency is bounded by ``max_concurrency`` per event loop.

Behaviour of :class:`OpenAITeacher` (``openai`` SDK, ``AsyncOpenAI`` with its own retries off):

- retries with exponential backoff and jitter on 429, 408, 409, 5xx, connection errors,
  timeouts and unparseable (e.g. truncated) bodies; 400/413/422 (a request too long, a bad
  parameter) fail at once, 401/403/404 stop the job; a ``Retry-After``/``retry-after-ms`` header
  sets the wait instead; ``max_retries`` bounds the attempts;
- ``timeout_s`` per attempt;
- a requests/tokens-per-minute budget (:mod:`skyray.synth.ratelimit`), local or shared by actors;
- a :class:`~skyray.synth.cache.ResponseCache` (optional): a cached request is never re-sent;
- accounting in ``teacher.usage`` (:class:`Usage`: requests, cache hits, retries, failures by
  reason, tokens, cost from ``price_*_per_mtok``).

The API key is read from the environment variable named by ``api_key_env`` and is never logged
or stored; configs and manifests only hold the variable's name.

Other backends with the same ``acomplete``/``abatch``/``complete_batch`` surface:
:class:`LocalTeacher` (an in-process :mod:`skyray.serve` backend on CPU, no HTTP) and
:func:`skyray.synth.vllm_batch.generate_with_ray_data_llm` for GPU clusters.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from skyray.config import require
from skyray.synth.cache import ResponseCache, request_key

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
RequestInput = Messages | str  # chat messages, or a prompt for /v1/completions
SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "seed", "stop")  # one choice per request
CONNECTIONS_PER_CLIENT = 8
# client errors that the same request would get again: failed at once, not retried
NOT_RETRIED = ("http-400", "http-413", "http-422")


class TeacherError(ConnectionError):
    """A fatal teacher problem (bad key, unreachable endpoint, unknown model): stop the job."""


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


@dataclass
class Completion:
    text: str = ""  # generated text ("" on error)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None  # "stop", "length", ...
    error: str | None = None  # short reason when the request failed after retries
    cached: bool = False  # answered from the response cache
    attempts: int = 0  # HTTP attempts made (0 when cached)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Usage:
    """Running totals for one teacher client (summable across actors with :meth:`merge`)."""

    requests: int = 0  # completions returned (sent or cached)
    sent: int = 0  # requests answered by the endpoint
    cached: int = 0  # answered from the cache
    attempts: int = 0  # HTTP attempts, retries included
    retries: int = 0
    failed: int = 0
    prompt_tokens: int = 0  # of sent requests
    completion_tokens: int = 0
    cost_usd: float = 0.0  # of sent requests, at the configured prices
    cached_prompt_tokens: int = 0  # of replies served from the cache (paid by an earlier run)
    cached_completion_tokens: int = 0
    cached_cost_usd: float = 0.0  # what those replies cost, at the configured prices
    errors: dict[str, int] = field(default_factory=dict)  # retry/failure reasons -> count

    def merge(self, other: Usage) -> None:
        for name, value in asdict(other).items():
            if name == "errors":
                self.errors = dict(Counter(self.errors) + Counter(value))
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["cost_usd"] = round(self.cost_usd, 6)
        out["cached_cost_usd"] = round(self.cached_cost_usd, 6)
        return out

    @property
    def total_cost_usd(self) -> float:
        """What every reply used cost: sent now or served from the cache."""
        return self.cost_usd + self.cached_cost_usd


def normalise_sampling(sampling: dict[str, Any] | None) -> dict[str, Any]:
    """Keep only the supported sampling keys, dropping Nones (the cache key depends on this)."""
    sampling = dict(sampling or {})
    unknown = sorted(set(sampling) - set(SAMPLING_KEYS))
    require(not unknown, f"unsupported sampling params {unknown}; supported: {SAMPLING_KEYS}")
    return {k: v for k, v in sampling.items() if v is not None}


class _Base:
    """Cache lookup, accounting and the sync wrappers shared by every teacher."""

    model: str
    cache: ResponseCache | None
    usage: Usage

    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        raise NotImplementedError

    async def acomplete(
        self, request: RequestInput, sampling: dict[str, Any] | None = None
    ) -> Completion:
        """One completion for chat messages or a prompt; never raises for per-request errors."""
        sampling = normalise_sampling(sampling)
        key = request_key(self.model, request, sampling) if self.cache is not None else ""
        if self.cache is not None:
            hit = await self._cache_call(self.cache.get, key)
            if hit is not None:
                self.usage.requests += 1
                self.usage.cached += 1
                self.usage.cached_prompt_tokens += int(hit.get("prompt_tokens") or 0)
                self.usage.cached_completion_tokens += int(hit.get("completion_tokens") or 0)
                self.usage.cached_cost_usd += self.price(
                    int(hit.get("prompt_tokens") or 0), int(hit.get("completion_tokens") or 0)
                )
                return Completion(**hit, cached=True)
        out = await self._generate(request, sampling)
        self.usage.requests += 1
        if out.ok:
            self.usage.sent += 1
            self.usage.prompt_tokens += out.prompt_tokens
            self.usage.completion_tokens += out.completion_tokens
            if self.cache is not None:
                await self._cache_call(
                    self.cache.put,
                    key,
                    {
                        "text": out.text,
                        "prompt_tokens": out.prompt_tokens,
                        "completion_tokens": out.completion_tokens,
                        "finish_reason": out.finish_reason,
                    },
                )
        else:
            self.usage.failed += 1
        return out

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for a reply of these token counts (0 unless the teacher has prices)."""
        return 0.0

    async def _cache_call(self, method, *args):
        """A cache read or write; off the event loop when it is a network round trip."""
        if getattr(self.cache, "remote", False):
            return await asyncio.to_thread(method, *args)
        return method(*args)

    async def abatch(
        self, requests: list[RequestInput], sampling: dict[str, Any] | None = None
    ) -> list[Completion]:
        return list(await asyncio.gather(*(self.acomplete(r, sampling) for r in requests)))

    def complete_batch(
        self, requests: list[RequestInput], sampling: dict[str, Any] | None = None
    ) -> list[Completion]:
        """Synchronous batch call (usable anywhere; runs its own event loop)."""

        async def batch() -> list[Completion]:
            try:
                return await self.abatch(requests, sampling)
            finally:
                await self.aclose()

        return run_sync(batch())

    async def aclose(self) -> None:
        """Release connections held for the running event loop (call before the loop ends)."""


def run_sync(coro):
    """Run a coroutine to completion from sync code, even under a running event loop (then in
    a helper thread). Uses uvloop when installed: less CPU per request than the default loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run_new_loop(coro)
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = _run_new_loop(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def _run_new_loop(coro):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    if not hasattr(asyncio, "Runner"):  # Python 3.10
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


class OpenAITeacher(_Base):
    """Any OpenAI-compatible endpoint through the ``openai`` SDK (see the module docstring)."""

    def __init__(
        self,
        cfg: TeacherConfig,
        cache: ResponseCache | None = None,
        limiter=None,
    ) -> None:
        from skyray.synth.ratelimit import LocalRateLimiter

        self.cfg = cfg
        self.model = cfg.model
        self.cache = cache
        self.limiter = limiter or LocalRateLimiter(cfg.rpm, cfg.tpm)
        self.usage = Usage()
        # (event loop, its clients, its request semaphore)
        self._loop_state: tuple[Any, list[Any], asyncio.Semaphore] | None = None
        self._next_client = 0
        self._ssl_context = None
        self.in_flight = 0  # for progress reports and the concurrency benchmark

    # ----- key and client -------------------------------------------------------------------
    def _api_key(self) -> str:
        key = os.environ.get(self.cfg.api_key_env, "")
        if key:
            return key
        if self.cfg.is_local:
            return "EMPTY"  # local servers (vllm serve, skyray serve) accept any key
        raise TeacherError(
            f"the teacher at {self.cfg.base_url} needs an API key: set ${self.cfg.api_key_env}"
        )

    def _client(self) -> tuple[Any, asyncio.Semaphore]:
        """(an AsyncOpenAI client, the request semaphore) for the running event loop.

        Clients and semaphores belong to one loop and are rebuilt on a new one. Requests are
        spread over several clients of at most ``CONNECTIONS_PER_CLIENT`` connections each: the
        HTTP connection pool scans all its connections on every request, so one pool of 64
        costs more CPU per request than 8 pools of 8."""
        loop = asyncio.get_running_loop()
        if self._loop_state is None or self._loop_state[0] is not loop:
            from openai import AsyncOpenAI, DefaultAsyncHttpxClient

            n = -(-self.cfg.max_concurrency // CONNECTIONS_PER_CLIENT)
            per = -(-self.cfg.max_concurrency // n)
            clients = [
                AsyncOpenAI(
                    api_key=self._api_key(),
                    base_url=self.cfg.base_url,
                    max_retries=0,  # retries are ours: Retry-After, counted reasons
                    timeout=self.cfg.timeout_s,
                    http_client=DefaultAsyncHttpxClient(
                        limits=_http_limits(per),
                        timeout=self.cfg.timeout_s,
                        verify=self._tls(),
                    ),
                )
                for _ in range(n)
            ]
            self._loop_state = (loop, clients, asyncio.Semaphore(self.cfg.max_concurrency))
            self._next_client = 0
        clients = self._loop_state[1]
        self._next_client = (self._next_client + 1) % len(clients)
        return clients[self._next_client], self._loop_state[2]

    def _tls(self):
        """One TLS context for all clients (loading CA certificates costs ~0.1 s each time);
        plain-HTTP endpoints need none."""
        if not self.cfg.base_url.startswith("https://"):
            return False
        if self._ssl_context is None:
            import ssl

            try:
                import certifi

                self._ssl_context = ssl.create_default_context(cafile=certifi.where())
            except ImportError:
                self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    async def aclose(self) -> None:
        if self._loop_state is not None and self._loop_state[0] is asyncio.get_running_loop():
            for client in self._loop_state[1]:
                await client.close()
        self._loop_state = None

    # ----- fail fast ------------------------------------------------------------------------
    def check(self, timeout_s: float = 10.0) -> list[str]:
        """Ask ``/models`` once: raises :class:`TeacherError` (one clear line) if the endpoint is
        unreachable, rejects the key, or does not serve ``model``; returns the served models."""
        return run_sync(self._check(timeout_s))

    async def _check(self, timeout_s: float) -> list[str]:
        import openai
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        client = AsyncOpenAI(
            api_key=self._api_key(),
            base_url=self.cfg.base_url,
            max_retries=1,
            timeout=timeout_s,
            http_client=DefaultAsyncHttpxClient(verify=self._tls(), timeout=timeout_s),
        )
        where = self.cfg.base_url
        try:
            models = [m.id async for m in client.models.list()]
        except openai.AuthenticationError:
            raise TeacherError(
                f"teacher at {where} rejected the API key from ${self.cfg.api_key_env} (HTTP 401)"
            ) from None
        except openai.PermissionDeniedError:
            raise TeacherError(f"teacher at {where}: permission denied (HTTP 403)") from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise TeacherError(
                f"teacher endpoint {where} is unreachable ({type(exc).__name__}: {_cause(exc)})"
            ) from None
        except openai.APIStatusError as exc:
            raise TeacherError(
                f"teacher at {where} answered HTTP {exc.status_code} to /models"
            ) from None
        finally:
            await client.close()
        if models and self.model not in models:
            raise TeacherError(f"teacher at {where} does not serve model {self.model!r}: {models}")
        return models

    # ----- one request with retries ---------------------------------------------------------
    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        client, semaphore = self._client()
        estimate = _estimate_tokens(request, sampling)
        attempt = 0
        async with semaphore:
            self.in_flight += 1
            try:
                while True:
                    if self.limiter.enabled:
                        await self.limiter.acquire(estimate)
                    attempt += 1
                    self.usage.attempts += 1
                    try:
                        out = await self._send(client, request, sampling)
                    except Exception as exc:  # classified below: fatal, retry or give up
                        reason, retry_after = self._classify(exc)
                        self.usage.errors[reason] = self.usage.errors.get(reason, 0) + 1
                        if reason in NOT_RETRIED:  # the request itself is wrong (too long, ...)
                            return Completion(error=reason, attempts=attempt)
                        if attempt > self.cfg.max_retries:
                            return Completion(
                                error=f"{reason} after {attempt} attempts", attempts=attempt
                            )
                        self.usage.retries += 1
                        await asyncio.sleep(self._backoff(attempt, retry_after))
                        continue
                    out.attempts = attempt
                    self._account_cost(out, estimate)
                    if self.limiter.enabled:
                        await self.limiter.refund(
                            max(0, estimate - out.prompt_tokens - out.completion_tokens)
                        )
                    return out
            finally:
                self.in_flight -= 1

    async def _send(self, client, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        # the SDK's generic ``post`` (its documented way to send a raw body): the typed
        # ``create`` would re-walk every message and build pydantic models, which costs more
        # CPU than the HTTP exchange itself; errors, headers and auth are the SDK's as usual
        chat = not isinstance(request, str)
        body = {"model": self.model, ("messages" if chat else "prompt"): request, **sampling}
        path = "/chat/completions" if chat else "/completions"
        raw = await client.post(path, body=body, cast_to=bytes)
        data = json.loads(raw)  # a truncated body raises JSONDecodeError: retried
        choice = data["choices"][0]
        text = choice["message"]["content"] if chat else choice["text"]
        if not isinstance(text, str):
            raise ValueError("response has no text")
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=choice.get("finish_reason"),
        )

    def _classify(self, exc: Exception) -> tuple[str, float | None]:
        """(reason, Retry-After seconds or None); raises TeacherError for fatal errors."""
        import openai

        if isinstance(exc, openai.AuthenticationError):
            raise TeacherError(
                f"teacher at {self.cfg.base_url} rejected the API key from "
                f"${self.cfg.api_key_env} (HTTP 401)"
            ) from None
        if isinstance(exc, (openai.PermissionDeniedError, openai.NotFoundError)):
            raise TeacherError(
                f"teacher at {self.cfg.base_url}: HTTP {exc.status_code} for model "
                f"{self.model!r} (wrong model name or URL?)"
            ) from None
        if isinstance(exc, openai.APITimeoutError):
            return "timeout", None
        if isinstance(exc, openai.APIConnectionError):
            return "connection", None
        if isinstance(exc, openai.APIStatusError):
            return f"http-{exc.status_code}", _retry_after(exc.response.headers)
        return f"bad-response:{type(exc).__name__}", None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.cfg.backoff_max_s)
        base = min(self.cfg.backoff_max_s, self.cfg.backoff_base_s * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)

    def _account_cost(self, out: Completion, estimate: int) -> None:
        self.usage.cost_usd += self.price(out.prompt_tokens, out.completion_tokens)

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.cfg.price_prompt_per_mtok
            + completion_tokens * self.cfg.price_completion_per_mtok
        ) / 1e6


class LocalTeacher(_Base):
    """An in-process serve backend (deterministic or CPU transformers) behind the same interface:
    no server, no HTTP. ``backend`` is any :class:`skyray.serve.backends.Backend`."""

    def __init__(self, backend, model: str | None = None, cache: ResponseCache | None = None):
        self.backend = backend
        self.model = model or backend.model_name
        self.cache = cache
        self.usage = Usage()

    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        try:
            if isinstance(request, str):
                result = await asyncio.to_thread(self.backend.complete, request, sampling)
            else:
                result = await asyncio.to_thread(self.backend.chat, request, sampling)
        except ValueError as exc:
            return Completion(error=f"backend:{exc}", attempts=1)
        return Completion(
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            attempts=1,
        )


def _http_limits(connections: int):
    """Connection limits in the HTTP library the installed ``openai`` uses (httpx or httpx2)."""
    from openai._constants import DEFAULT_CONNECTION_LIMITS

    return type(DEFAULT_CONNECTION_LIMITS)(
        max_connections=connections, max_keepalive_connections=connections
    )


def _estimate_tokens(request: RequestInput, sampling: dict[str, Any]) -> int:
    chars = (
        len(request)
        if isinstance(request, str)
        else sum(len(m.get("content", "")) for m in request)
    )
    return chars // 4 + int(sampling.get("max_tokens") or 512)


def _retry_after(headers) -> float | None:
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


def _cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__
