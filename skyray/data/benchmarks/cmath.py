"""CMATH (Chinese elementary maths): the dev set, and the distractor set whose ``subject`` is
``distractor-K`` for K = 0..5 irrelevant sentences."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.records import Problem


def _dev(index, obj, where) -> Problem:
    grade = obj.get("grade")
    return Problem(
        id=f"cmath-dev:{index}",
        problem=field(obj, "input", where),
        answer=field(obj, "golden", where).strip(),
        level=int(grade) if isinstance(grade, int) else None,
        subject=f"grade-{grade}",
        source="cmath-dev",
    )


def _distractor(index, obj, where) -> Problem:
    return Problem(
        id=f"cmath-distractor:{index}",
        problem=field(obj, "input", where),
        answer=field(obj, "golden", where).strip(),
        solution="",
        subject=f"distractor-{obj.get('distractor', 0)}",
        source="cmath-distractor",
    )


register(
    Benchmark(
        name="cmath-dev",
        role="test",
        relpath="cmath/cmath_dev.jsonl",
        parse_rows=jsonl_loader(_dev),
        description="CMATH dev (Chinese)",
    )
)
register(
    Benchmark(
        name="cmath-distractor",
        role="test",
        relpath="cmath/distractor.jsonl",
        parse_rows=jsonl_loader(_distractor),
        description="CMATH distractor set (0-5 irrelevant sentences)",
    )
)
