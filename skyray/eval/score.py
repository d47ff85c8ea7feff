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

from skyray.config import require, require_seconds
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
        require_seconds(self.timeout_s, "timeout_s")


class PredictionFileError(ValueError):
    """A predictions file that cannot be scored (names the file and line)."""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"


def read_predictions(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a predictions JSONL, each checked for ``id``, ``response`` (text, or null for a
    failed generation) and a gold answer (``gold``, or ``solution`` to extract it from).

    An empty file, and two rows for the same prediction (``id``, with ``benchmark`` and
    ``sample_index`` when present), are refused: either would silently change the accuracy."""
    path = Path(path)
    if not path.is_file():
        raise PredictionFileError(f"predictions file not found: {path}")
    seen: dict[tuple, str] = {}
    for where, row in iter_jsonl(path, PredictionFileError):
        for key in ("id", "response"):
            if key not in row:
                raise PredictionFileError(f"{where}: missing field {key!r}")
        if row["id"] is None or isinstance(row["id"], (bool, list, dict)):
            raise PredictionFileError(f"{where}: 'id' must be a string or number")
        response = row["response"]
        if response is not None and not isinstance(response, str):
            raise PredictionFileError(
                f"{where}: 'response' must be a string, got {_json_type(response)} "
                f"({json.dumps(response)[:40]})"
            )
        key = (row.get("benchmark"), str(row["id"]), row.get("sample_index"))
        if key in seen:
            raise PredictionFileError(
                f"{where}: duplicate prediction for id {str(row['id'])!r} (first at "
                f"{seen[key]}); give one row per id (several samples differ by sample_index)"
            )
        seen[key] = f"line {where.rsplit(':', 1)[1]}"
        if row.get("gold") is None:
            if not row.get("solution"):
                raise PredictionFileError(f"{where}: needs 'gold' or 'solution'")
            gold = gold_from_solution(str(row["solution"]))
            if gold is None:
                raise PredictionFileError(f"{where}: no gold answer found in 'solution'")
            row["gold"] = gold
        yield row
    if not seen:
        raise PredictionFileError(f"{path}: no prediction rows (the file is empty)")


def write_scored(rows: list[dict[str, Any]], out: Path) -> None:
    """Rows as JSONL through a temp file: a failed write leaves neither half a file nor a stray
    ``.tmp``."""
    from skyray.atomic import write_jsonl_atomic

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl_atomic(out, rows)
    except OSError as exc:  # a parent that is a file, no permission, a full disk
        raise ValueError(f"cannot write --out {out}: {exc.strerror or exc}") from None


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
    if out is not None and Path(out).is_dir():  # checked before any (slow) grading
        raise ValueError(f"--out {out} is a folder; give the path of the scored JSONL file")
    scored = list(score_rows(read_predictions(path), cfg))
    if out is not None:
        write_scored(scored, Path(out))
    summary = summarize(scored)
    summary["grader"] = cfg.grader
    summary["benchmark"] = cfg.benchmark
    return summary
