"""Ground truth for the planted leaks: which synthetic samples are held-out test problems, and
whether curation removed exactly those.

A sample is a planted leak when its question is a test-split problem (in either wording: a
rephrased leak is still the same problem). The audit compares that with the rows the curate
step dropped for ``decontam:*``: every leak must be among them (``missed`` empty) and no other
row (``clean_dropped`` empty).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

_ITEM = re.compile(r"(miniworld-test:L\d:\d+)")


@dataclass
class LeakAudit:
    planted: dict[str, str] = field(default_factory=dict)  # sample id -> test item id
    caught: dict[str, str] = field(default_factory=dict)  # sample id -> item named by decontam
    missed: list[str] = field(default_factory=list)  # planted, not dropped by decontam
    clean_dropped: list[str] = field(default_factory=list)  # dropped by decontam, not planted

    @property
    def ok(self) -> bool:
        return not self.missed and not self.clean_dropped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def test_items() -> dict[Any, str]:
    """Test puzzle (wording ignored) -> its registry id."""
    from skyray.testing.miniworld.splits import split_problems
    from skyray.testing.miniworld.text import parse

    out = {}
    for p in split_problems("test"):
        parsed = parse(p.problem)
        assert parsed is not None
        out[replace(parsed.build(0), style=0)] = p.id
    return out


def planted_leaks(questions: dict[str, str]) -> dict[str, str]:
    """Sample id -> test item id for every sample whose question is a test problem."""
    from skyray.testing.miniworld.text import parse

    items, found = test_items(), {}
    for sample_id, question in questions.items():
        parsed = parse(question)
        if parsed is None or parsed.has_unknown:
            continue
        item = items.get(replace(parsed.build(0), style=0))
        if item is not None:
            found[sample_id] = item
    return found


def audit_leaks(synthetic: str | Path, curate_dir: str | Path) -> LeakAudit:
    """Compare the planted leaks of a synthesis output with a curate step's decontam drops."""
    import pyarrow.dataset as ds

    table = ds.dataset(str(synthetic)).to_table(columns=["id", "question"]).to_pylist()
    planted = planted_leaks({r["id"]: r["question"] for r in table})
    dropped_dir = Path(curate_dir) / "dropped"
    rows = ds.dataset(str(dropped_dir)).to_table(columns=["id", "drop_reason", "drop_detail"])
    caught = {}
    for r in rows.to_pylist():
        if str(r["drop_reason"]).startswith("decontam:"):
            named = _ITEM.search(str(r["drop_detail"]))
            caught[r["id"]] = named.group(1) if named else str(r["drop_detail"])
    return LeakAudit(
        planted=planted,
        caught=caught,
        missed=sorted(set(planted) - set(caught)),
        clean_dropped=sorted(set(caught) - set(planted)),
    )
