"""OlympiadBench OE_TO_maths_en_COMP: open-ended, text-only, non-proof competition problems
(one of the paper's extra seed sources)."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, HubSource, MalformedRowError, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.math.latex import strip_math_delimiters
from skyray.records import Problem

NAME = "olympiadbench"


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _row(index, obj, where) -> Problem:
    answers = [strip_math_delimiters(a) for a in _as_list(obj.get("final_answer")) if a.strip()]
    if not answers:
        raise MalformedRowError(f"{where}: missing field 'final_answer'")
    question = field(obj, "question", where)
    if obj.get("context"):
        question = f"{obj['context']}\n{question}"
    return Problem(
        id=f"{NAME}:{obj.get('id', index)}",
        problem=question,
        answer=", ".join(answers),
        solution="\n\n".join(_as_list(obj.get("solution"))),
        subject=str(obj.get("subfield") or ""),
        source=NAME,
    )


register(
    Benchmark(
        name=NAME,
        role="train",
        relpath="olympiadbench/test.jsonl",
        parse_rows=jsonl_loader(_row),
        description="OlympiadBench maths, open-ended text-only (seed source)",
        hub=HubSource("Hothan/OlympiadBench", "train", "OE_TO_maths_en_COMP"),
        from_hub_row=lambda i, r: _row(i, r, f"hub:{NAME}:{i}"),
    )
)
