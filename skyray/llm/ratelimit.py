"""Requests- and tokens-per-minute limits, per process or shared by every actor of a job.

:class:`RateBudget` is the pure core: two token buckets (requests, tokens) that hand out
*reservations*: ``reserve(requests, tokens, now)`` books the capacity and returns how long the
caller must wait before sending. Booking ahead (the bucket may go negative) keeps callers in FIFO
order and needs one call per request, which is what makes a shared limiter cheap:

- :class:`LocalRateLimiter` wraps a budget for one process (asyncio);
- :class:`SharedRateLimiter` asks a named Ray actor holding the budget, so N synthesis actors
  together stay under the endpoint's limits (``shared_limiter(name, rpm, tpm)`` gets or creates it).

A limit of 0 means unlimited.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class RateBudget:
    rpm: float = 0.0  # requests per minute, 0 = unlimited
    tpm: float = 0.0  # tokens per minute, 0 = unlimited
    _state: dict[str, float] = field(default_factory=dict)

    def reserve(self, requests: float, tokens: float, now: float) -> float:
        """Book ``requests``/``tokens``; seconds to wait before using them."""
        wait = 0.0
        for name, limit, amount in (("r", self.rpm, requests), ("t", self.tpm, tokens)):
            if limit <= 0 or amount <= 0:
                continue
            rate = limit / 60.0
            level, stamp = self._state.get(name, limit), self._state.get(name + "_t", now)
            level = min(limit, level + (now - stamp) * rate) - amount  # refill, then book
            self._state[name], self._state[name + "_t"] = level, now
            if level < 0:
                wait = max(wait, -level / rate)
        return wait

    def refund(self, tokens: float) -> None:
        """Give back tokens booked but not used (estimate above the real usage)."""
        if self.tpm > 0 and "t" in self._state:
            self._state["t"] = min(self.tpm, self._state["t"] + tokens)


class LocalRateLimiter:
    """A budget for the coroutines of one process."""

    def __init__(self, rpm: float = 0.0, tpm: float = 0.0) -> None:
        self.budget = RateBudget(rpm=rpm, tpm=tpm)

    @property
    def enabled(self) -> bool:
        return self.budget.rpm > 0 or self.budget.tpm > 0

    async def acquire(self, tokens: float) -> None:
        wait = self.budget.reserve(1, tokens, time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)

    async def refund(self, tokens: float) -> None:
        self.budget.refund(tokens)


class _BudgetActor:
    """Ray actor body holding one job-wide budget."""

    def __init__(self, rpm: float, tpm: float) -> None:
        self.budget = RateBudget(rpm=rpm, tpm=tpm)

    def reserve(self, requests: float, tokens: float) -> float:
        return self.budget.reserve(requests, tokens, time.monotonic())

    def refund(self, tokens: float) -> None:
        self.budget.refund(tokens)


class SharedRateLimiter:
    """Client side of the job-wide budget actor (picklable: holds the actor handle)."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self.enabled = True

    async def acquire(self, tokens: float) -> None:
        wait = await self.actor.reserve.remote(1, tokens)
        if wait > 0:
            await asyncio.sleep(wait)

    async def refund(self, tokens: float) -> None:
        await self.actor.refund.remote(tokens)


def shared_limiter(name: str, rpm: float, tpm: float) -> SharedRateLimiter:
    """Get or create the named budget actor (Ray must be initialised)."""
    import ray

    actor_cls = ray.remote(num_cpus=0)(_BudgetActor)
    actor = actor_cls.options(name=name, get_if_exists=True).remote(rpm, tpm)
    return SharedRateLimiter(actor)
