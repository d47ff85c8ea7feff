"""The one OpenAI-compatible client: any endpoint (OpenAI, ``vllm serve``, ``skyray serve``)
through the ``openai`` SDK. Synthesis, self-compare, distractors and evaluation all use it::

    from skyray.llm.openai_client import OpenAITeacher
    from skyray.llm.config import TeacherConfig
    teacher = OpenAITeacher(TeacherConfig(base_url="http://127.0.0.1:8000/v1", model="tiny"))
    teacher.check()                                  # fail fast: unreachable / bad key / no model
    outs = teacher.complete_batch([[{"role": "user", "content": "1+1?"}], "Q: 2+2\\nA:"],
                                  {"temperature": 0.0, "max_tokens": 64})

or ``await teacher.acomplete(...)`` / ``await teacher.abatch(...)`` from any event loop.

- at most ``max_concurrency`` requests in flight per event loop, ``timeout_s`` per attempt;
- retries (:mod:`skyray.llm.retry`, ``tenacity``; Retry-After honoured), counted by reason;
- the requests/tokens-per-minute budget (:mod:`skyray.llm.ratelimit`), local or shared by actors;
- the reply cache and cost accounting (:mod:`skyray.llm.client`, ``price_*_per_mtok``).

The API key is read from the environment variable ``api_key_env`` names and is never logged or
stored; configs and manifests hold only the variable's name.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from skyray.llm.cache import ResponseCache
from skyray.llm.client import CachedClient
from skyray.llm.config import TeacherConfig
from skyray.llm.endpoint import TEACHER_UNREACHABLE, check_endpoint
from skyray.llm.retry import NOT_RETRIED, AttemptFailed, BadResponse, classify, policy
from skyray.llm.types import Completion, RequestInput, TeacherError, estimate_tokens
from skyray.llm.usage import Usage, price

CONNECTIONS_PER_CLIENT = 8


class OpenAITeacher(CachedClient):
    def __init__(self, cfg: TeacherConfig, cache: ResponseCache | None = None, limiter=None):
        from skyray.llm.ratelimit import LocalRateLimiter

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

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        return price(prompt_tokens, completion_tokens, self.cfg.prices)

    # ----- key and connections --------------------------------------------------------------
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
                    max_retries=0,  # retries are ours (skyray.llm.retry): counted reasons
                    timeout=self.cfg.timeout_s,
                    http_client=DefaultAsyncHttpxClient(
                        limits=_http_limits(per), timeout=self.cfg.timeout_s, verify=self._tls()
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
    def check(
        self, timeout_s: float = 10.0, unreachable: str = TEACHER_UNREACHABLE, **kwargs
    ) -> list[str]:
        """Ask ``/models`` once (:func:`skyray.llm.endpoint.check_endpoint`); returns the
        served models or raises one clear line."""
        from skyray.llm.aio import run_sync

        return run_sync(
            check_endpoint(
                self.cfg.base_url,
                self._api_key(),
                self.model,
                key_env=self.cfg.api_key_env,
                timeout_s=timeout_s,
                verify=self._tls(),
                unreachable=unreachable,
                **kwargs,
            )
        )

    # ----- one request with retries ---------------------------------------------------------
    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        client, semaphore = self._client()
        estimate = estimate_tokens(request, sampling)
        async with semaphore:
            self.in_flight += 1
            try:
                # the first attempt runs outside tenacity: its per-call machinery costs about as
                # much client CPU as a fifth of a request, and most requests succeed at once
                try:
                    out = await self._attempt(client, request, sampling, estimate)
                except AttemptFailed as failed:
                    return await self._retry(failed, client, request, sampling, estimate)
                out.attempts = 1
                return out
            finally:
                self.in_flight -= 1

    async def _retry(self, first: AttemptFailed, client, request, sampling, estimate: int):
        """Attempts 2.. under the retry policy (:mod:`skyray.llm.retry`); the first, already
        failed attempt is replayed as tenacity's attempt 1 so its waits and counts hold."""
        replay, attempts = [first], 0

        def on_retry(_failed: AttemptFailed) -> None:
            self.usage.retries += 1

        retrying = policy(
            self.cfg.max_retries, self.cfg.backoff_base_s, self.cfg.backoff_max_s, on_retry
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    if replay:
                        raise replay.pop()
                    out = await self._attempt(client, request, sampling, estimate)
            out.attempts = attempts
            return out
        except AttemptFailed as failed:
            error = failed.reason
            if failed.reason not in NOT_RETRIED:
                error = f"{failed.reason} after {attempts} attempts"
            return Completion(
                error=error, attempts=attempts, error_kind=failed.kind, error_detail=failed.detail
            )

    async def _attempt(self, client, request, sampling, estimate: int) -> Completion:
        """One HTTP attempt under the rate budget; a failure raises :class:`AttemptFailed`."""
        if self.limiter.enabled:
            await self.limiter.acquire(estimate)
        self.usage.attempts += 1
        try:
            out = await self._send(client, request, sampling)
        except Exception as exc:  # classified: fatal (raises), retried or failed
            failed = classify(exc, self.cfg.base_url, self.model, self.cfg.api_key_env)
            self.usage.count_error(failed.reason)
            raise failed from None
        if self.limiter.enabled:
            await self.limiter.refund(max(0, estimate - out.prompt_tokens - out.completion_tokens))
        return out

    async def _send(self, client, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        # the SDK's generic ``post`` (its documented way to send a raw body): the typed
        # ``create`` would re-walk every message and build pydantic models, which costs more
        # CPU than the HTTP exchange itself; errors, headers and auth are the SDK's as usual
        chat = not isinstance(request, str)
        body = {"model": self.model, ("messages" if chat else "prompt"): request, **sampling}
        raw = await client.post(
            "/chat/completions" if chat else "/completions", body=body, cast_to=bytes
        )
        try:
            data = json.loads(raw)  # a truncated body is retried
        except ValueError:
            raise BadResponse("JSONDecodeError", "JSONDecodeError") from None
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices:
            raise BadResponse("IndexError", "no choices in the reply")
        choice = choices[0]
        text = (choice.get("message") or {}).get("content") if chat else choice.get("text")
        if not isinstance(text, str):
            raise BadResponse("ValueError", "the choice holds no text")
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=choice.get("finish_reason"),
        )


def _http_limits(connections: int):
    """Connection limits in the HTTP library the installed ``openai`` uses (httpx or httpx2)."""
    from openai._constants import DEFAULT_CONNECTION_LIMITS

    return type(DEFAULT_CONNECTION_LIMITS)(
        max_connections=connections, max_keepalive_connections=connections
    )
