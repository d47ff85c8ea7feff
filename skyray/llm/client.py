"""What every client shares: the reply-cache lookup, usage accounting and the sync wrappers.

A client answers ``await acomplete(request, sampling)`` with a :class:`Completion` and never
raises for a per-request failure (it is in ``Completion.error``); ``abatch`` and the synchronous
``complete_batch`` run many. Subclasses implement ``_generate`` (one request, uncached).
"""

from __future__ import annotations

import asyncio
from typing import Any

from skyray.llm.aio import run_sync
from skyray.llm.cache import ResponseCache, request_key
from skyray.llm.types import Completion, RequestInput, normalise_sampling
from skyray.llm.usage import Usage


class CachedClient:
    model: str
    cache: ResponseCache | None
    usage: Usage

    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        raise NotImplementedError

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for a reply of these token counts (0 unless the client has prices)."""
        return 0.0

    async def acomplete(
        self, request: RequestInput, sampling: dict[str, Any] | None = None
    ) -> Completion:
        """One completion for chat messages or a prompt; never raises for per-request errors."""
        sampling = normalise_sampling(sampling)
        key = request_key(self.model, request, sampling) if self.cache is not None else ""
        if self.cache is not None:
            hit = await self._cache_call(self.cache.get, key)
            if hit is not None:
                self._count_hit(hit)
                return Completion(**hit, cached=True)
        out = await self._generate(request, sampling)
        self.usage.requests += 1
        if not out.ok:
            self.usage.failed += 1
            return out
        self.usage.sent += 1
        self.usage.prompt_tokens += out.prompt_tokens
        self.usage.completion_tokens += out.completion_tokens
        self.usage.cost_usd += self.price(out.prompt_tokens, out.completion_tokens)
        if self.cache is not None:
            entry = {
                "text": out.text,
                "prompt_tokens": out.prompt_tokens,
                "completion_tokens": out.completion_tokens,
                "finish_reason": out.finish_reason,
            }
            await self._cache_call(self.cache.put, key, entry)
        return out

    def _count_hit(self, hit: dict[str, Any]) -> None:
        prompt, completion = (
            int(hit.get("prompt_tokens") or 0),
            int(hit.get("completion_tokens") or 0),
        )
        self.usage.requests += 1
        self.usage.cached += 1
        self.usage.cached_prompt_tokens += prompt
        self.usage.cached_completion_tokens += completion
        self.usage.cached_cost_usd += self.price(prompt, completion)

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
