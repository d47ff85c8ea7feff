"""Scoring predictions with the shared grader: per-row verdicts and accuracy tables.

Pure functions over dict rows (:func:`score_rows`, :func:`summarize`) plus the file-level
:func:`score_file` that ``skyray eval score`` runs.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyray.config import require
from skyray.jsonl import iter_jsonl
from skyray.math.grade import GRADER_MODES, gold_from_solution, grade


@dataclass(kw_only=True)
class ScoreConfig:
    grader: str = "equiv"  # "equiv" (symbolic equivalence) or "strict" (MetaMath's rule)
    timeout_s: float = 2.0  # wall-clock limit of one symbolic comparison
    benchmark: str = ""  # benchmark name, recorded in the report

    def __post_init__(self) -> None:
        require(
            self.grader in GRADER_MODES,
            f"grader must be one of {GRADER_MODES}, got {self.grader!r}",
        )
        require(self.timeout_s > 0, f"timeout_s must be > 0, got {self.timeout_s}")


class PredictionFileError(ValueError):
    """A predictions file that cannot be scored (names the file and line)."""


def read_predictions(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a predictions JSONL, each checked for ``id``, ``response`` and a gold answer
    (``gold``, or ``solution`` to extract it from)."""
    path = Path(path)
    if not path.is_file():
        raise PredictionFileError(f"predictions file not found: {path}")
    for where, row in iter_jsonl(path, PredictionFileError):
        for key in ("id", "response"):
            if key not in row:
                raise PredictionFileError(f"{where}: missing field {key!r}")
        if row.get("gold") is None:
            if not row.get("solution"):
                raise PredictionFileError(f"{where}: needs 'gold' or 'solution'")
            gold = gold_from_solution(str(row["solution"]))
            if gold is None:
                raise PredictionFileError(f"{where}: no gold answer found in 'solution'")
            row["gold"] = gold
        yield row


def score_rows(rows: Iterable[dict[str, Any]], cfg: ScoreConfig) -> Iterator[dict[str, Any]]:
    """Each row plus ``extracted``, ``extraction_method``, ``correct`` and ``grader``."""
    for row in rows:
        verdict = grade(str(row.get("response") or ""), str(row["gold"]), cfg.grader, cfg.timeout_s)  # type: ignore[arg-type]
        yield {
            **row,
            "extracted": verdict.extracted,
            "extraction_method": verdict.method,
            "correct": verdict.correct,
            "grader": cfg.grader,
        }


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (well-behaved at 0% and 100%)."""
    if n == 0:
        return (0.0, 0.0)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _cell(correct: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(correct, n)
    return {"accuracy": correct / n if n else 0.0, "n": n, "correct": correct, "ci95": [low, high]}


def summarize(scored: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy overall, per level and per subject, plus how many rows had no answer."""
    total = right = no_answer = 0
    by_level: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_subject: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in scored:
        ok = bool(row["correct"])
        total += 1
        right += ok
        no_answer += row.get("extracted") is None
        if row.get("level") not in (None, ""):
            level = str(row["level"]).removeprefix("Level ").strip()
            by_level[level][0] += ok
            by_level[level][1] += 1
        if row.get("subject"):
            by_subject[str(row["subject"])][0] += ok
            by_subject[str(row["subject"])][1] += 1
    summary = _cell(right, total)
    summary["no_answer"] = no_answer
    summary["by_level"] = {k: _cell(*v) for k, v in sorted(by_level.items())}
    summary["by_subject"] = {k: _cell(*v) for k, v in sorted(by_subject.items())}
    return summary


def format_table(summary: dict[str, Any], title: str = "") -> str:
    """Plain-text report: overall, then per level and per subject."""

    def line(name: str, cell: dict[str, Any]) -> str:
        low, high = cell["ci95"]
        return (
            f"  {name:<28} {100 * cell['accuracy']:6.2f}%  "
            f"({cell['correct']}/{cell['n']}, 95% CI {100 * low:.1f}-{100 * high:.1f})"
        )

    out = [title] if title else []
    out.append(line("overall", summary))
    if summary.get("no_answer"):
        out.append(f"  {'no answer found':<28} {summary['no_answer']} rows")
    for group, label in (("by_level", "Level "), ("by_subject", "")):
        if summary.get(group):
            out.append(f" {group.replace('_', ' ')}:")
            out.extend(line(f"{label}{k}", v) for k, v in summary[group].items())
    return "\n".join(out)


def score_file(path: str | Path, cfg: ScoreConfig, out: str | Path | None = None) -> dict[str, Any]:
    """Score a predictions JSONL; write scored rows to ``out`` (JSONL) when given."""
    scored = list(score_rows(read_predictions(path), cfg))
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for row in scored:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(out)
    summary = summarize(scored)
    summary["grader"] = cfg.grader
    summary["benchmark"] = cfg.benchmark
    return summary
