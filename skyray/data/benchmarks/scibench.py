"""SciBench maths sets (calculus, differential equations, statistics), one of the paper's seed
sources; worked solutions are attached from the ``*_sol.json`` files where they exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from skyray.data.benchmarks.base import (
    Benchmark,
    DataNotFoundError,
    field,
    read_json_list,
    register,
)
from skyray.records import Problem

NAME = "scibench-math"
SETS = ("calculus", "diff", "stat")


def _load(folder: Path) -> Iterator[Problem]:
    for name in SETS:
        path = folder / f"{name}.json"
        if not path.is_file():
            raise DataNotFoundError(f"{NAME}: {path} not found")
        solutions = {}
        sol_path = folder / f"{name}_sol.json"
        if sol_path.is_file():
            for _, obj in read_json_list(sol_path):
                solutions[str(obj.get("problemid", "")).strip()] = str(obj.get("solution") or "")
        for index, obj in read_json_list(path):
            where = f"{path}: item {index}"
            problem_id = str(obj.get("problemid", index)).strip()
            unit = str(obj.get("unit") or "").strip()
            question = field(obj, "problem_text", where)
            if unit:
                question += f" Give the answer in {unit}."
            yield Problem(
                id=f"{NAME}:{name}/{index}",  # problemid repeats within a set
                problem=question,
                answer=field(obj, "answer_latex", where).strip(),
                solution=solutions.get(problem_id, ""),
                subject=name,
                source=NAME,
            )


register(
    Benchmark(
        name=NAME,
        role="train",
        relpath="scibench",
        parse_rows=_load,
        description="SciBench calculus/diff/stat (seed source)",
    )
)
