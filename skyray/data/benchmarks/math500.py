"""MATH500 (prm800k split): a 500-problem subset of MATH test, with the answer given."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, HubSource, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.data.benchmarks.math import math_problem

NAME = "math500"


def _row(index, obj, where):
    return math_problem(NAME, str(obj.get("unique_id") or index), obj, where)


register(
    Benchmark(
        name=NAME,
        role="test",
        relpath="MATH500/test.jsonl",
        parse_rows=jsonl_loader(_row),
        description="MATH500, a subset of MATH test",
        hub=HubSource("HuggingFaceH4/MATH-500", "test"),
        from_hub_row=lambda i, r: _row(i, r, f"hub:{NAME}:{i}"),
    )
)
