"""A sweep's results read back from its folder alone (``sweep.json``, each trial's
``status.json`` and its evaluation reports), as the cells the scaling report is made of.

A *series* is one curve: the trials that differ only in data size (and seed, whose counts are
pooled). A cell is ``{accuracy, correct, n, ci95}`` with a 95% Wilson interval.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyray.runs import SUCCESS
from skyray.sweep.plan import EVAL2_STEP, EVAL_STEP, TRIALS_DIR

PLAN_FILE = "sweep.json"
SERIES_EXCLUDES = ("size", "seed")  # params that vary along a curve or are pooled


@dataclass
class TrialResult:
    name: str
    params: dict[str, Any]
    status: str  # done, failed, running (interrupted), pending (never started)
    error: str = ""
    stage2_planned: bool = False
    reports: dict[int, dict[str, Any]] = field(default_factory=dict)  # stage -> eval report
    series: str = ""  # the curve: model plus each other parameter the sweep varies


def series_label(params: dict[str, Any], varying: set[str], drop: tuple[str, ...] = ()) -> str:
    """Model name plus ``key=value`` for each varying parameter except size, seed and ``drop``."""
    skip = (*SERIES_EXCLUDES, "model", *drop)
    rest = [f"{k}={v}" for k, v in params.items() if k in varying and k not in skip]
    return " ".join([str(params["model"]), *rest])


def varying_params(plans: list[dict[str, Any]]) -> set[str]:
    values: dict[str, set[str]] = defaultdict(set)
    for plan in plans:
        for k, v in plan["params"].items():
            values[k].add(repr(v))
    return {k for k, v in values.items() if len(v) > 1}


def _eval_report(folder: Path) -> dict[str, Any] | None:
    path = folder / "report.json"
    if (folder / SUCCESS).is_file() and path.is_file():
        return json.loads(path.read_text())
    return None


def load_plan(sweep_dir: Path) -> dict[str, Any]:
    path = Path(sweep_dir) / PLAN_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{sweep_dir} is not a sweep folder (no {PLAN_FILE})")
    return json.loads(path.read_text())


def collect(sweep_dir: Path) -> list[TrialResult]:
    """Every planned trial with its status and its stage-1 (and stage-2) evaluation report."""
    from skyray.sweep.trainable import read_status

    results = []
    plans = load_plan(sweep_dir)["trials"]
    varying = varying_params(plans)
    for plan in plans:
        folder = Path(sweep_dir) / TRIALS_DIR / plan["name"]  # valid after the folder moved
        status = read_status(folder)
        result = TrialResult(
            name=plan["name"],
            params=plan["params"],
            status=status.get("status", "pending"),
            error=status.get("error", ""),
            stage2_planned=bool(plan.get("stage2_data")),
            series=series_label(plan["params"], varying),
        )
        for stage, step in ((1, EVAL_STEP), (2, EVAL2_STEP)):
            report = _eval_report(folder / f"step-{step}-eval")
            if report is not None:
                result.reports[stage] = report
        results.append(result)
    return results


def pooled(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts summed over seeds; the Wilson interval of the pooled proportion."""
    from skyray.eval.report import cell

    return cell(sum(c["correct"] for c in cells), sum(c["n"] for c in cells))


def grader_cell(report: dict[str, Any], bench: str, grader: str, group: str = "", key: str = ""):
    """One benchmark's cell (overall, or ``by_level``/``by_subject`` entry ``key``)."""
    summary = report["benchmarks"].get(bench, {}).get("graders", {}).get(grader)
    if summary is None:
        return None
    return summary[group].get(key) if group else summary


def curves(
    results: list[TrialResult], grader: str, stage: int = 1, group: str = "", key: str = ""
) -> dict[tuple[str, str], dict[int, dict[str, Any]]]:
    """(series, benchmark) -> size -> pooled cell, over finished trials."""
    cells: dict[tuple[str, str], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        report = r.reports.get(stage)
        if report is None:
            continue
        for bench in report["benchmarks"]:
            c = grader_cell(report, bench, grader, group, key)
            if c is not None:
                cells[(r.series, bench)][int(r.params["size"])].append(c)
    return {k: {n: pooled(v[n]) for n in sorted(v)} for k, v in cells.items()}


def benchmarks(results: list[TrialResult]) -> list[str]:
    seen: dict[str, None] = {}
    for r in results:
        for report in r.reports.values():
            seen.update(dict.fromkeys(report["benchmarks"]))
    return list(seen)


def keys_of(results: list[TrialResult], bench: str, grader: str, group: str) -> list[str]:
    """The levels (or subjects) a benchmark reports, over every finished trial."""
    seen: dict[str, None] = {}
    for r in results:
        for report in r.reports.values():
            summary = grader_cell(report, bench, grader)
            if summary:
                seen.update(dict.fromkeys(summary.get(group, {})))
    return sorted(seen, key=lambda k: (not k.isdigit(), k.zfill(3)))
