"""Progress of a long synthesis run: a log line every few seconds (tasks, samples, requests/s,
tokens, failures) and Ray metrics (``skyray_synth_*``, on the Ray dashboard/Prometheus) when the
driver is connected to Ray."""

from __future__ import annotations

import logging
import time

from skyray.synth.teacher import Usage

logger = logging.getLogger("skyray.synth")


class Progress:
    def __init__(self, phase: str, target: int, interval_s: float = 10.0) -> None:
        self.phase, self.target, self.interval_s = phase, target, interval_s
        self.started = self._last_log = time.monotonic()
        self.tasks = self.samples = 0
        self._metrics = _ray_metrics()
        self._reported = Usage()
        self._first: Usage | None = None  # usage when the phase started (totals are per job)

    def update(self, tasks: int, samples: int, usage: Usage, force: bool = False) -> None:
        self.tasks, self.samples = tasks, samples
        if self._first is None:
            self._first = Usage(requests=usage.requests)
        now = time.monotonic()
        if self._metrics:
            self._export(usage, samples)
        if force or now - self._last_log >= self.interval_s:
            self._last_log = now
            logger.info("%s", self.line(usage))

    def line(self, usage: Usage) -> str:
        elapsed = max(1e-9, time.monotonic() - self.started)
        rate = (usage.requests - (self._first.requests if self._first else 0)) / elapsed
        return (
            f"synth {self.phase}: samples {self.samples}/{self.target}, tasks {self.tasks}, "
            f"requests {usage.requests} ({usage.cached} cached, {rate:.1f}/s in this phase), "
            f"tokens {usage.prompt_tokens + usage.completion_tokens}, "
            f"retries {usage.retries}, failures {usage.failed}"
        )

    def _export(self, usage: Usage, samples: int) -> None:
        delta = {
            "requests": usage.requests - self._reported.requests,
            "cached": usage.cached - self._reported.cached,
            "tokens": usage.prompt_tokens
            + usage.completion_tokens
            - self._reported.prompt_tokens
            - self._reported.completion_tokens,
            "failures": usage.failed - self._reported.failed,
            "retries": usage.retries - self._reported.retries,
        }
        for name, value in delta.items():
            if value > 0:
                self._metrics[name].inc(value, tags={"phase": self.phase})
        self._metrics["samples"].set(samples, tags={"phase": self.phase})
        self._reported = Usage(
            **{
                k: getattr(usage, k)
                for k in (
                    "requests",
                    "cached",
                    "failed",
                    "retries",
                    "prompt_tokens",
                    "completion_tokens",
                )
            }
        )


def _ray_metrics() -> dict:
    import sys

    ray = sys.modules.get("ray")  # a driver that never imported Ray is not connected to it
    if ray is None or not ray.is_initialized():
        return {}
    from ray.util.metrics import Counter, Gauge

    names = ("requests", "cached", "tokens", "failures", "retries")
    metrics = {
        n: Counter(f"skyray_synth_{n}_total", description=f"teacher {n}", tag_keys=("phase",))
        for n in names
    }
    metrics["samples"] = Gauge(
        "skyray_synth_samples", description="samples kept so far", tag_keys=("phase",)
    )
    return metrics
