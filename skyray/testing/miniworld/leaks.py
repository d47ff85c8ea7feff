"""Ground truth for the planted leaks: which synthetic samples are held-out test problems, and
what curation's decontamination did with each kind.

The teacher plants test problems verbatim (``leak_share`` of its new problems). Synthesis then
builds on them like on any problem, so every sample falls in one class:

- ``planted``: the question *is* a test problem's text (the leak as planted);
- ``paraphrased``: the same test problem in the other wording (a rephrase of a planted leak);
- ``derived``: a descendant of a leak through ``parent_id`` (an Evol step that added a step,
  another person, ...): it shares reasoning with the test item but is a different problem;
- ``clean``: none of these.

The audit compares the classes with the rows the curate step dropped for ``decontam:*``. It
passes (``ok``) when every planted leak was dropped and no clean row was; how many paraphrased
and derived rows an n-gram filter catches is reported, not required (a paraphrase shares few
30-grams with its original: the known blind spot of n-gram decontamination).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

_ITEM = re.compile(r"(miniworld-test:L\d:\d+)")
CLASSES = ("planted", "paraphrased", "derived", "clean")


@dataclass
class LeakAudit:
    leaks: dict[str, dict[str, str]] = field(default_factory=dict)  # class -> {sample: item}
    caught: dict[str, str] = field(default_factory=dict)  # sample id -> item named by decontam
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # class -> rows, dropped

    @property
    def missed(self) -> list[str]:
        return sorted(set(self.leaks.get("planted", {})) - set(self.caught))

    @property
    def clean_dropped(self) -> list[str]:
        leaked = set().union(*(self.leaks.get(c, {}) for c in CLASSES[:3]))
        return sorted(set(self.caught) - leaked)

    @property
    def ok(self) -> bool:
        return bool(self.leaks.get("planted")) and not self.missed and not self.clean_dropped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "missed": self.missed,
            "clean_dropped": self.clean_dropped,
            "ok": self.ok,
        }


def test_items() -> tuple[dict[str, str], dict[Any, str]]:
    """(test question text -> id, test puzzle with wording ignored -> id)."""
    from skyray.data.miniworld.splits import split_problems
    from skyray.data.miniworld.text import parse

    texts, puzzles = {}, {}
    for p in split_problems("test"):
        parsed = parse(p.problem)
        assert parsed is not None
        texts[" ".join(p.problem.split())] = p.id
        puzzles[replace(parsed.build(0), style=0)] = p.id
    return texts, puzzles


def classify(rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """class -> {sample id: test item id} for the leak classes (rows: id, question, parent_id)."""
    from skyray.data.miniworld.text import parse

    texts, puzzles = test_items()
    out: dict[str, dict[str, str]] = {c: {} for c in CLASSES[:3]}
    for r in rows:
        item = texts.get(" ".join(r["question"].split()))
        if item is not None:
            out["planted"][r["id"]] = item
            continue
        parsed = parse(r["question"])
        if parsed is not None and not parsed.has_unknown:
            item = puzzles.get(replace(parsed.build(0), style=0))
            if item is not None:
                out["paraphrased"][r["id"]] = item
    leaked = {**out["planted"], **out["paraphrased"]}
    parents = {r["id"]: r.get("parent_id") or "" for r in rows}
    for r in rows:
        if r["id"] in leaked:
            continue
        node, seen = parents.get(r["id"], ""), set()
        while node and node not in seen:
            if node in leaked:
                out["derived"][r["id"]] = leaked[node]
                break
            seen.add(node)
            node = parents.get(node, "")
    return out


def audit_leaks(synthetic: str | Path, curate_dir: str | Path) -> LeakAudit:
    """Compare the leaks of a synthesis output with a curate step's decontam drops."""
    import pyarrow.dataset as ds

    columns = ["id", "question", "parent_id"]
    rows = ds.dataset(str(synthetic)).to_table(columns=columns).to_pylist()
    leaks = classify(rows)
    dropped = ds.dataset(str(Path(curate_dir) / "dropped"))
    caught = {}
    for r in dropped.to_table(columns=["id", "drop_reason", "drop_detail"]).to_pylist():
        if str(r["drop_reason"]).startswith("decontam:"):
            named = _ITEM.search(str(r["drop_detail"]))
            caught[r["id"]] = named.group(1) if named else str(r["drop_detail"])
    in_class = {c: set(v) for c, v in leaks.items()}
    in_class["clean"] = {r["id"] for r in rows} - set().union(*in_class.values())
    counts = {
        c: {"rows": len(ids), "dropped": len(ids & set(caught))} for c, ids in in_class.items()
    }
    return LeakAudit(leaks=leaks, caught=caught, counts=counts)
