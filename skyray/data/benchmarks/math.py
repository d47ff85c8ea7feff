"""MATH (Hendrycks et al. 2021): competition problems with level and subject; gold is the last
``\\boxed{}`` of the solution."""

from __future__ import annotations

import re
from typing import Any

from skyray.data.benchmarks.base import (
    Benchmark,
    HubSource,
    MalformedRowError,
    SkipRow,
    field,
    register,
)
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.math.latex import last_boxed
from skyray.records import Problem


def parse_level(value: Any) -> int | None:
    """``"Level 3"`` or ``3`` -> 3; ``"Level ?"`` and missing -> None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    match = re.search(r"\d+", str(value))
    return int(match.group(0)) if match else None


def math_problem(name: str, local_id: str, obj: dict[str, Any], where: str) -> Problem:
    solution = field(obj, "solution", where)
    gold = obj.get("answer") or last_boxed(solution)
    if gold is None:
        raise MalformedRowError(f"{where}: solution has no \\boxed{{}} answer")
    if not str(gold).strip():
        raise SkipRow(f"{where}: the solution's \\boxed{{}} is empty")
    return Problem(
        id=f"{name}:{local_id}",
        problem=field(obj, "problem", where),
        answer=str(gold).strip(),
        solution=solution,
        level=parse_level(obj.get("level")),
        subject=str(obj.get("type") or obj.get("subject") or ""),
        source=name,
    )


def _row(name: str):
    def parse(index: int, obj: dict[str, Any], where: str) -> Problem:
        return math_problem(name, str(obj.get("unique_id") or index), obj, where)

    return parse


for _split in ("train", "test"):
    _name = f"math-{_split}"
    register(
        Benchmark(
            name=_name,
            role="train" if _split == "train" else "test",
            relpath=f"MATH/{_split}.jsonl",
            parse_rows=jsonl_loader(_row(_name)),
            description=f"MATH {_split} split (levels 1-5, 7 subjects)",
            hub=HubSource("DigitalLearningGmbH/MATH-lighteval", _split, "default"),
            from_hub_row=lambda i, r, _n=_name: _row(_n)(i, r, f"hub:{_n}:{i}"),
        )
    )
