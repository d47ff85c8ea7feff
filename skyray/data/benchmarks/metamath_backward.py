"""MetaMath's GSM8K_Backward: FOBAR-style backward questions built from GSM8K **test**
(evaluation only)."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.records import Problem

NAME = "gsm8k-backward"


def _row(index, obj, where) -> Problem:
    return Problem(
        id=f"{NAME}:{index}",
        problem=field(obj, "question", where),
        answer=field(obj, "answer", where).strip(),
        source=NAME,
    )


register(
    Benchmark(
        name=NAME,
        role="test",
        relpath="metamath_samples/GSM8K_Backward.jsonl",
        parse_rows=jsonl_loader(_row),
        description="MetaMath GSM8K backward questions (from GSM8K test)",
    )
)
