"""Rows in and out of each curation filter as Ray metrics, counted by the workers as they go:
``skyray_curate_filter_rows_total{filter, outcome}`` (outcome ``in``, ``dropped``, ``kept``) with
the run/step/stage labels of :mod:`skyray.metrics`. The step's totals (``rows_in_total``,
``dropped_total{reason}``, ``kept_fraction``...) are reported from its manifest at the end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STAGE_PREFIXES = (
    ("parse:", "format"),
    ("format:", "format"),
    ("answer:", "format"),
    ("decontam:", "decontam"),
    ("dedup:exact", "exact_dedup"),
    ("dedup:near", "near_dedup"),
)
STAGES = ("format", "decontam", "exact_dedup", "near_dedup")


def stage_of(reason: str) -> str:
    for prefix, stage in STAGE_PREFIXES:
        if reason.startswith(prefix):
            return stage
    return "other"


class StageMetrics:
    """Counters tagged by filter and outcome; a no-op outside Ray. ``step_dir`` is the output
    folder (its name and its parent's give the step and run labels)."""

    def __init__(self, step_dir: str | Path) -> None:
        from skyray.metrics import StageMetrics as Metrics

        self.metrics = Metrics.for_step(step_dir, "curate")

    def _inc(self, value: int, stage: str, outcome: str) -> None:
        self.metrics.count("filter_rows_total", value, filter=stage, outcome=outcome)

    def record_pass1(self, stats: dict[str, Any]) -> None:
        self._inc(stats["rows"], "input", "in")
        for reason, count in stats["reasons"].items():
            self._inc(count, stage_of(reason), "dropped")

    def record_pass3(self, stats: dict[str, Any]) -> None:
        for reason, count in stats["reasons"].items():
            if reason.startswith("dedup:"):
                self._inc(count, stage_of(reason), "dropped")
        self._inc(stats["kept"], "output", "kept")
