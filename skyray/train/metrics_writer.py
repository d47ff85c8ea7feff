"""The loop's metrics: a JSON-lines file on rank 0, progress lines and Ray metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger("skyray.train.loop")  # progress lines name the loop, as before the split


class MetricsWriter:
    """JSON lines on rank 0, plus Ray metrics when running under Ray: gauges
    ``skyray_sft_{loss,lr,tokens_per_s,mfu,grad_norm}`` and counters ``skyray_sft_steps_total``,
    ``skyray_sft_tokens_total`` with the step folder's run/step/stage labels (:mod:`skyray.metrics`)."""

    GAUGES = ("loss", "lr", "tokens_per_s", "mfu", "grad_norm", "step")

    def __init__(self, path: str | None, rank: int, use_ray: bool):
        self.path = Path(path) if path and rank == 0 else None
        self.metrics = self.ticker = None
        self.rank = rank
        if use_ray and rank == 0 and path:
            from skyray.metrics import StageMetrics

            self.metrics = StageMetrics.for_step(Path(path).parent, "sft")

    def write(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as fh:
                fh.write(json.dumps(record, default=float) + "\n")
        if self.rank == 0 and record.get("event") == "start":
            from skyray.console import LOG_FORMAT, Ticker

            if not logging.getLogger().handlers:  # a Ray worker: INFO lines reach the driver
                logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)

            start = record.get("resumed_at") or 0
            self.ticker = Ticker("sft", record["total_steps"] - start, unit="steps", log=logger)
            self.start_step = start
        if "loss" not in record:
            return
        if self.ticker is not None:
            note = f"loss {record['loss']:.4f}, {record['tokens_per_s']:.0f} tokens/s"
            self.ticker.update(record["step"] - self.start_step, record["step"] == 1, note)
        if self.metrics is not None:
            for name in self.GAUGES:
                self.metrics.gauge(name, record.get(name), hold=False)
