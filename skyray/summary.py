"""What a finished step did, read from its manifest: rows in and out, drops by reason, the
headline number and the report's path. The console's summary lines and table and the stage's Ray
metrics (:mod:`skyray.step_metrics`) both come from here, so they always agree with the manifest.

A stage without a reader here still gets a summary from its manifest's generic ``rows`` dict
(``in``/``out`` keys when present), so new stages show up before they get their own reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(kw_only=True)
class StepSummary:
    stage: str  # seeds, synth, curate, sft, eval, ...
    rows_in: int | None = None
    rows_out: int | None = None
    drops: dict[str, int] = field(default_factory=dict)  # reason -> rows dropped
    headline: str = ""  # "kept 41.7%", "final loss 5.81", "gsm8k-test 0.0%"
    report: Path | None = None  # the file to open next
    wall_s: float | None = None
    gauges: dict[str, float] = field(default_factory=dict)  # headline numbers for metrics
    labelled: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)
    counters: dict[str, float] = field(default_factory=dict)  # step totals for metrics


def stage_of(step_dir: str | Path) -> str:
    """``step-6-sft`` -> ``sft``."""
    name = Path(step_dir).name
    parts = name.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "step" else name


def summarize(
    step_dir: str | Path, manifest: dict[str, Any] | None = None, stage: str | None = None
) -> StepSummary:
    """The summary of a finished step folder (its manifest is read when not given; the stage is
    taken from the folder name ``step-N-<stage>`` when not given)."""
    step_dir = Path(step_dir)
    if manifest is None:
        manifest = json.loads((step_dir / "manifest.json").read_text())
    stage = stage or stage_of(step_dir)
    summary = StepSummary(stage=stage, wall_s=manifest.get("duration_s"))
    READERS.get(stage, _generic)(summary, step_dir, manifest)
    return summary


def _generic(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows = m.get("rows", {})
    s.rows_in = rows.get("in")
    s.rows_out = rows.get("out", rows.get("kept"))
    s.drops = dict(m.get("drops", m.get("reasons", {})))
    for name in ("report.md", "report.json"):
        if (step_dir / name).is_file():
            s.report = step_dir / name
            break


def _seeds(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    sources = m.get("sources", {})
    loaded = sum(c.get("loaded", 0) for c in sources.values())
    malformed = sum(c.get("skipped_malformed", 0) for c in sources.values())
    s.rows_out = m["rows"]["seeds"]
    s.rows_in = loaded + malformed
    s.drops = {"malformed": malformed, "not-selected": loaded - s.rows_out}
    s.headline = f"{s.rows_out} seeds from {len(sources)} source(s)"


def _synth(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows = m["rows"]
    s.rows_in = m.get("num_seeds")
    s.rows_out = rows["samples"]
    s.drops = dict(m.get("drops", {}))
    usage = m.get("usage", {})
    s.headline = f"{s.rows_out} samples, {usage.get('requests', 0)} requests"
    if m.get("cost_usd"):
        s.headline += f", ${m['cost_usd']:.2f}"
    for name, count in sorted(m.get("operators", {}).items()):
        s.labelled.append(("samples_by_operator", count, {"operator": name}))


def _curate(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows = m["rows"]
    s.rows_in, s.rows_out = rows["in"], rows["kept"]
    s.drops = dict(m.get("reasons", {}))
    fraction = s.rows_out / s.rows_in if s.rows_in else 0.0
    s.gauges["kept_fraction"] = fraction
    s.headline = f"kept {100 * fraction:.1f}%"
    s.report = step_dir / m.get("report", "report.json")


def _sft(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows = dict(m.get("rows", {}))
    s.rows_out = rows.pop("kept", None)
    s.drops = rows
    s.rows_in = (s.rows_out or 0) + sum(rows.values())
    final = m.get("final_metrics", {})
    for name in ("loss", "tokens_per_s", "mfu", "lr", "grad_norm"):
        if isinstance(final.get(name), (int, float)):
            s.gauges[name] = float(final[name])
    if isinstance(final.get("step"), int):
        s.gauges["steps"] = float(final["step"])
    if "loss" in s.gauges:
        s.headline = f"final loss {s.gauges['loss']:.4f}"
    if (step_dir / "metrics.jsonl").is_file():
        s.report = step_dir / "metrics.jsonl"


def _eval(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows = m.get("rows", {})
    s.rows_in = s.rows_out = rows.get("predictions")
    throughput = m.get("throughput", {})
    s.counters["generation_errors_total"] = float(rows.get("generation_errors", 0))
    s.counters["prompt_tokens_total"] = float(throughput.get("prompt_tokens", 0))
    s.counters["completion_tokens_total"] = float(throughput.get("completion_tokens", 0))
    if "output_tokens_per_s" in throughput:
        s.gauges["tokens_per_s"] = float(throughput["output_tokens_per_s"])
    parts = []
    for bench, by_grader in sorted(m.get("accuracy", {}).items()):
        for grader, value in by_grader.items():
            if value is not None:
                s.labelled.append(
                    ("accuracy", float(value), {"benchmark": bench, "grader": grader})
                )
        first = next(iter(by_grader.values()), None)
        if first is not None:
            parts.append(f"{bench} {100 * first:.1f}%")
    s.headline = ", ".join(parts)
    s.report = step_dir / "report.md"


def _selfcompare(s: StepSummary, step_dir: Path, m: dict[str, Any]) -> None:
    rows, totals = m.get("rows", {}), m.get("totals", {})
    s.rows_in, s.rows_out = rows.get("problems"), rows.get("samples")
    s.drops = dict(totals.get("drops", {}))
    tokens = totals.get("teacher_tokens", {})
    s.counters["prompt_tokens_total"] = float(tokens.get("prompt", 0))
    s.counters["completion_tokens_total"] = float(tokens.get("completion", 0))
    s.counters["cost_usd_total"] = float(totals.get("cost_usd", 0.0))
    s.gauges["rounds"] = float(len(m.get("rounds", [])))
    s.headline = (
        f"{s.rows_out} samples from {s.rows_in} problems, {len(m.get('rounds', []))} round(s)"
    )
    if (step_dir / "report.md").is_file():
        s.report = step_dir / "report.md"


READERS: dict[str, Callable[[StepSummary, Path, dict[str, Any]], None]] = {
    "seeds": _seeds,
    "synth": _synth,
    "curate": _curate,
    "sft": _sft,
    "eval": _eval,
    "selfcompare": _selfcompare,
}
