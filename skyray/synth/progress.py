"""Progress of a long synthesis run: a log line every few seconds (tasks, samples, requests/s,
tokens, failures, ETA) and Ray metrics (``skyray_synth_*``, see :class:`UsageMeter`) when the
driver is connected to Ray."""

from __future__ import annotations

import logging
import time

from skyray.console import format_duration
from skyray.llm.usage import Usage

logger = logging.getLogger("skyray.synth")


class Progress:
    def __init__(
        self, phase: str, target: int, interval_s: float = 10.0, meter: UsageMeter | None = None
    ) -> None:
        self.phase, self.target, self.interval_s = phase, target, interval_s
        self.started = self._last_log = time.monotonic()
        self.tasks = self.samples = 0
        self.meter = meter
        self._first: Usage | None = None  # usage when the phase started (totals are per job)

    def update(self, tasks: int, samples: int, usage: Usage, force: bool = False) -> None:
        self.tasks, self.samples = tasks, samples
        if self._first is None:
            self._first = Usage(requests=usage.requests)
        now = time.monotonic()
        if self.meter is not None:
            self.meter.export(usage, self.phase, samples, self.rate(usage))
        if force or now - self._last_log >= self.interval_s:
            self._last_log = now
            logger.info("%s", self.line(usage))

    def rate(self, usage: Usage) -> float:
        elapsed = max(1e-9, time.monotonic() - self.started)
        return (usage.requests - (self._first.requests if self._first else 0)) / elapsed

    def line(self, usage: Usage) -> str:
        rate = self.rate(usage)
        eta = ""
        if 0 < self.samples < self.target:
            left = (self.target - self.samples) * (time.monotonic() - self.started) / self.samples
            eta = f", ETA {format_duration(left)}"
        return (
            f"synth {self.phase}: samples {self.samples}/{self.target}, tasks {self.tasks}, "
            f"requests {usage.requests} ({usage.cached} cached, {rate:.1f}/s in this phase), "
            f"tokens {usage.prompt_tokens + usage.completion_tokens}, "
            f"retries {usage.retries}, failures {usage.failed}{eta}"
        )


class UsageMeter:
    """Teacher usage as Ray metrics of one synth step, exported as it grows: the counters
    ``skyray_synth_{requests,cached,prompt_tokens,completion_tokens,retries,failures,cost_usd}_total``
    (labels run, step, stage, phase) hold the job's totals, so they end equal to the manifest's
    ``usage``; gauges ``skyray_synth_samples`` and ``skyray_synth_requests_per_s`` per phase."""

    FIELDS = {
        "requests_total": "requests",
        "cached_total": "cached",
        "prompt_tokens_total": "prompt_tokens",
        "completion_tokens_total": "completion_tokens",
        "retries_total": "retries",
        "failures_total": "failed",
        "cost_usd_total": "cost_usd",
    }

    def __init__(self, step_dir) -> None:
        from skyray.metrics import StageMetrics

        self.metrics = StageMetrics.for_step(step_dir, "synth")
        self.reported = {name: 0.0 for name in self.FIELDS}  # job-wide, across phases

    def export(self, usage: Usage, phase: str, samples: int | None = None, rate=None) -> None:
        from skyray.metrics import ray_connected

        if not ray_connected():  # keep the totals for when (if) the driver joins Ray
            return
        for name, attr in self.FIELDS.items():
            value = float(getattr(usage, attr))
            if value > self.reported[name]:
                self.metrics.count(name, value - self.reported[name], phase=phase)
                self.reported[name] = value
        if samples is not None:
            self.metrics.gauge("samples", samples, hold=False, phase=phase)
        if rate is not None:
            self.metrics.gauge("requests_per_s", rate, hold=False, phase=phase)
