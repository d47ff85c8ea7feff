"""JEEBench maths questions (``subject == "math"``), a seed source of the paper."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from skyray.data.benchmarks.base import Benchmark, field, read_json_list, register
from skyray.records import Problem

NAME = "jeebench-math"


def _load(path: Path) -> Iterator[Problem]:
    for index, obj in read_json_list(path):
        if obj.get("subject") != "math":
            continue
        where = f"{path}: item {index}"
        yield Problem(
            id=f"{NAME}:{obj.get('description', '')}/{obj.get('index', index)}",
            problem=field(obj, "question", where),
            answer=field(obj, "gold", where).strip(),
            subject=str(obj.get("type") or ""),
            source=NAME,
        )


register(
    Benchmark(
        name=NAME,
        role="train",
        relpath="jeebench/dataset.json",
        parse_rows=_load,
        description="JEEBench maths (seed source)",
    )
)
