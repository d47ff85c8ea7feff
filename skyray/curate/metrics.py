"""Rows in and out of each curation stage as Ray metrics (visible in the Ray dashboard's
Metrics view / Prometheus as ``skyray_curate_rows``)."""

from __future__ import annotations

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
    """Counters tagged by stage and outcome; a no-op outside a Ray worker."""

    def __init__(self) -> None:
        from ray.util.metrics import Counter

        self.rows = Counter(
            "skyray_curate_rows",
            description="rows seen by each SkyRay curation stage",
            tag_keys=("stage", "outcome"),
        )

    def _inc(self, value: int, stage: str, outcome: str) -> None:
        if value:
            self.rows.inc(value, tags={"stage": stage, "outcome": outcome})

    def record_pass1(self, stats: dict[str, Any]) -> None:
        self._inc(stats["rows"], "input", "in")
        for reason, count in stats["reasons"].items():
            self._inc(count, stage_of(reason), "dropped")

    def record_pass3(self, stats: dict[str, Any]) -> None:
        for reason, count in stats["reasons"].items():
            if reason.startswith("dedup:"):
                self._inc(count, stage_of(reason), "dropped")
        self._inc(stats["kept"], "output", "kept")
