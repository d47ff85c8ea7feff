"""Running totals of one client (requests, cache hits, retries, failures, tokens, cost),
summable across Ray actors with :meth:`Usage.merge`."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Usage:
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

    def count_error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1


def price(prompt_tokens: int, completion_tokens: int, per_mtok: tuple[float, float]) -> float:
    """USD for a reply of these token counts at (prompt, completion) USD per million tokens."""
    return (prompt_tokens * per_mtok[0] + completion_tokens * per_mtok[1]) / 1e6
