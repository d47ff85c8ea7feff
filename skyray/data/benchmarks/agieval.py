"""AGIEval maths sets. ``agieval-math`` is entirely MATH test (evaluation only); the SAT, AQuA
and Gaokao sets are the paper's AGIEval seed source."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, MalformedRowError, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.records import Problem


def _solution(obj) -> str:
    other = obj.get("other")
    return str(other.get("solution") or "") if isinstance(other, dict) else ""


def _row(name: str):
    def parse(index, obj, where) -> Problem:
        question = field(obj, "question", where)
        if obj.get("passage"):
            question = f"{obj['passage']}\n{question}"
        options = obj.get("options")
        if options:  # multiple choice: the gold answer is the option letter
            question += "\n" + "\n".join(str(o) for o in options)
            gold = obj.get("label")
        else:
            gold = obj.get("answer")
        if gold is None or not str(gold).strip():
            raise MalformedRowError(f"{where}: missing field 'label'/'answer'")
        return Problem(
            id=f"{name}:{index}",
            problem=question,
            answer=str(gold).strip(),
            solution=_solution(obj),
            subject=name.removeprefix("agieval-"),
            source=name,
        )

    return parse


for _file, _role in (
    ("math", "test"),
    ("sat-math", "train"),
    ("aqua-rat", "train"),
    ("gaokao-mathcloze", "train"),
    ("gaokao-mathqa", "train"),
):
    _name = f"agieval-{_file}"
    register(
        Benchmark(
            name=_name,
            role=_role,  # type: ignore[arg-type]
            relpath=f"agieval/{_file}.jsonl",
            parse_rows=jsonl_loader(_row(_name)),
            description=f"AGIEval {_file}"
            + (" (all MATH test problems)" if _file == "math" else ""),
        )
    )
