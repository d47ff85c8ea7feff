"""GSM8K (Cobbe et al. 2021): grade-school word problems; gold after ``#### ``."""

from __future__ import annotations

from typing import Any

from skyray.data.benchmarks.base import Benchmark, HubSource, MalformedRowError, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.records import Problem


def gsm8k_gold(answer_text: str, where: str) -> tuple[str, str]:
    """(solution, gold) from GSM8K's ``answer`` field (reasoning, then ``#### N``)."""
    if "####" not in answer_text:
        raise MalformedRowError(f"{where}: GSM8K answer has no '#### N' line")
    solution, gold = answer_text.rsplit("####", 1)
    gold = gold.strip().replace(",", "")
    if not gold:
        raise MalformedRowError(f"{where}: empty gold answer after '####'")
    return solution.strip(), gold


def _row(name: str):
    def parse(index: int, obj: dict[str, Any], where: str) -> Problem:
        solution, gold = gsm8k_gold(field(obj, "answer", where), where)
        return Problem(
            id=f"{name}:{index}",
            problem=field(obj, "question", where),
            answer=gold,
            solution=solution,
            source=name,
        )

    return parse


for _split in ("train", "test"):
    _name = f"gsm8k-{_split}"
    register(
        Benchmark(
            name=_name,
            role="train" if _split == "train" else "test",
            relpath=f"gsm8k/{_split}.jsonl",
            parse_rows=jsonl_loader(_row(_name)),
            description=f"GSM8K {_split} split",
            hub=HubSource("openai/gsm8k", _split, "main"),
            from_hub_row=lambda i, r, _n=_name: _row(_n)(i, r, f"hub:{_n}:{i}"),
        )
    )
