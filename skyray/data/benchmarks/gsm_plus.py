"""GSM-Plus testmini (perturbed GSM8K test problems); ``subject`` holds the perturbation type.
``gsm-plus-distraction`` is its ``distraction insertion`` subset (a real distractor set)."""

from __future__ import annotations

from skyray.data.benchmarks.base import Benchmark, HubSource, field, register
from skyray.data.benchmarks.jsonl import jsonl_loader
from skyray.records import Problem

DISTRACTION = "distraction insertion"


def _row(name: str, only: str | None):
    def parse(index, obj, where) -> Problem | None:
        kind = str(obj.get("perturbation_type") or "")
        if only is not None and kind != only:
            return None
        return Problem(
            id=f"{name}:{index}",
            problem=field(obj, "question", where),
            answer=field(obj, "answer", where).replace(",", ""),
            solution=str(obj.get("solution") or ""),
            subject=kind,
            source=name,
        )

    return parse


for _name, _only in (("gsm-plus", None), ("gsm-plus-distraction", DISTRACTION)):
    register(
        Benchmark(
            name=_name,
            role="test",
            relpath="gsm_plus/gsmplus_testmini.jsonl",
            parse_rows=jsonl_loader(_row(_name, _only)),
            description="GSM-Plus testmini" + (f" ({_only} only)" if _only else ""),
            hub=HubSource("qintongli/GSM-Plus", "testmini"),
            from_hub_row=lambda i, r, _n=_name, _o=_only: _row(_n, _o)(i, r, f"hub:{_n}:{i}"),
        )
    )
