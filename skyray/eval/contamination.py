"""Contamination guard: overlap between a model's training data and the evaluated benchmarks.

It reuses the curation stage's n-gram index (:mod:`skyray.curate.decontam`), so "clean" means the
same thing for training-data filtering and for evaluation: the evaluated items' questions (and
solutions) are indexed, and every text column of the training data is matched against them.

``training`` is a Parquet or JSONL file of training rows, a folder of such files, or a step's
``manifest.json`` (its input paths are followed). Run before scoring; the report lists, per
benchmark, how many evaluated items occur in the training data, with examples.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skyray.eval.items import EvalItem

logger = logging.getLogger(__name__)
TEXT_COLUMNS = ("query", "question", "problem", "response", "prompt", "text")
BATCH_ROWS = 8192
MAX_EXAMPLES = 5


def training_files(path: str | Path) -> list[Path]:
    """The data files behind ``path`` (file, folder, or a step manifest's inputs)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"training data not found: {path}")
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".jsonl"))
    if path.name == "manifest.json":
        inputs = json.loads(path.read_text()).get("inputs", [])
        files: list[Path] = []
        for entry in inputs:
            target = _input_path(entry, path.parent.parent)
            if target is not None and target.exists():
                files += training_files(target)
        return files
    if path.suffix not in (".parquet", ".jsonl"):
        raise ValueError(f"training data must be .parquet, .jsonl, a folder or a manifest: {path}")
    return [path]


def _input_path(entry: Any, run_dir: Path) -> Path | None:
    """Where a manifest's input lives: its ``path``, or a file of a step of the same run
    (``{"step": "step-3-curate", "file": "kept"}``, recorded by step rather than location);
    None for an entry that names neither (never the current directory)."""
    if not isinstance(entry, dict):
        return Path(str(entry)) if str(entry) else None
    if entry.get("path"):
        return Path(entry["path"])
    if entry.get("step"):
        return run_dir / entry["step"] / entry.get("file", "")
    return None


def text_batches(path: Path) -> Iterator[dict[str, list[str | None]]]:
    """Batches of ``{column: texts}`` over the text columns of one Parquet or JSONL file."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        columns = [c for c in TEXT_COLUMNS if c in pf.schema_arrow.names]
        if not columns:
            raise ValueError(f"{path}: no text column to check (looked for {TEXT_COLUMNS})")
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield {name: batch.column(name).to_pylist() for name in columns}
        return
    rows: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if raw.strip():
                try:
                    rows.append(json.loads(raw))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{lineno}: not valid JSON ({exc})") from None
            if len(rows) == BATCH_ROWS:
                yield _columns(rows)
                rows = []
    if rows:
        yield _columns(rows)


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[str | None]]:
    return {
        name: [str(r[name]) if r.get(name) is not None else None for r in rows]
        for name in TEXT_COLUMNS
        if any(name in r for r in rows)
    }


def check_contamination(
    training: str | Path, items: list[EvalItem], ngram: int = 30, min_tokens: int = 8
) -> dict[str, Any]:
    """Which evaluated items overlap the training data (see the module docstring)."""
    try:
        from skyray.curate.decontam import BenchmarkText, Matcher, build_index
    except ImportError:
        line = f"not checked: skyray.curate.decontam is not available ({training} not compared)"
        logger.warning("contamination guard: %s", line)
        return {"status": "unavailable", "summary": [line]}

    texts = []
    totals: dict[str, int] = defaultdict(int)
    for item in items:
        if item.num_distractors:  # variants repeat their original's text
            continue
        p = item.problem
        totals[item.benchmark] += 1
        texts.append(BenchmarkText(item.benchmark, p.id, "question", p.problem))
        if p.solution.strip():
            texts.append(BenchmarkText(item.benchmark, p.id, "solution", p.solution))
    matcher = Matcher(build_index(texts, ngram, min_tokens))
    found: dict[str, dict[str, str]] = defaultdict(dict)  # benchmark -> item id -> detail
    files = training_files(training)
    rows_scanned = 0
    for path in files:
        for batch in text_batches(path):
            rows_scanned += len(next(iter(batch.values()), []))
            for column, texts in batch.items():
                for hits in matcher.find(texts, column):
                    for hit in hits:
                        found[hit.benchmark].setdefault(hit.item_id, hit.detail())
    by_bench = {
        name: {
            "items": total,
            "contaminated_items": len(found[name]),
            "contaminated_ids": sorted(found[name]),
            "examples": [found[name][i] for i in sorted(found[name])[:MAX_EXAMPLES]],
        }
        for name, total in totals.items()
    }
    summary = [
        f"{name}: {b['contaminated_items']} of {b['items']} items overlap the training data "
        f"({ngram}-gram match)"
        for name, b in by_bench.items()
    ]
    summary.insert(0, f"training data: {len(files)} file(s), {rows_scanned} rows from {training}")
    for line in summary:
        logger.info("contamination guard: %s", line)
    return {
        "status": "checked",
        "training": str(training),
        "ngram": ngram,
        "min_tokens": min_tokens,
        "rows_scanned": rows_scanned,
        "benchmarks": by_bench,
        "summary": summary,
    }
