"""Progressive-hint prompting in the evaluation report: what every round did.

Input rows are top-1 predictions graded per round (``hint_correct`` and ``hint_extracted``: JSON
lists, one entry per round the problem ran; see :mod:`skyray.eval.run`). A problem that stopped
early keeps its last answer in later rounds, so round r's numbers are those of answering with at
most r hints; every round's right + wrong + no answer equals the number of problems.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


def _rounds(row: dict[str, Any]) -> list[tuple[bool, bool]]:
    """(correct, has an answer) per round run, from a row's JSON columns."""
    correct = json.loads(row.get("hint_correct") or "[]")
    extracted = json.loads(row.get("hint_extracted") or "[]")
    if not correct:  # an ungraded row: the first/final verdicts are all there is
        correct, extracted = [bool(row.get("correct_first"))], [row.get("extracted")]
    return [(bool(c), e is not None) for c, e in zip(correct, extracted, strict=True)]


def php_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-round accuracy and answer counts, and flips wrong->right / right->wrong."""
    traces = [_rounds(r) for r in rows]
    depth = max((len(t) for t in traces), default=0)
    per_round = []
    for r in range(depth):
        now = [t[min(r, len(t) - 1)] for t in traces]
        right = sum(c for c, _ in now)
        no_answer = sum(not c and not has for c, has in now)
        per_round.append(
            {
                "round": r,
                "problems": len(now),
                "right": right,
                "wrong": len(now) - right - no_answer,
                "no_answer": no_answer,
                "accuracy": right / len(now) if now else 0.0,
                "asked": sum(len(t) > r for t in traces),  # problems that ran this round
            }
        )
    steps: Counter[str] = Counter()
    for t in traces:
        for (before, _), (after, _) in zip(t, t[1:], strict=False):
            if before != after:
                steps["wrong_to_right" if after else "right_to_wrong"] += 1
    return {
        "per_round": per_round,
        "flips": {  # first answer -> final answer, per problem
            "wrong_to_right": sum(not t[0][0] and t[-1][0] for t in traces),
            "right_to_wrong": sum(t[0][0] and not t[-1][0] for t in traces),
        },
        "flips_per_step": {  # between consecutive rounds, over all problems
            "wrong_to_right": steps["wrong_to_right"],
            "right_to_wrong": steps["right_to_wrong"],
        },
    }


def php_markdown(h: dict[str, Any]) -> list[str]:
    """The per-round table and the flips, under the hints section of a benchmark."""
    if not h.get("per_round"):
        return []
    out = [
        "| round | asked | right | wrong | no answer | accuracy (%) |",
        "|---|---|---|---|---|---|",
    ]
    for r in h["per_round"]:
        out.append(
            f"| {r['round']} | {r['asked']} | {r['right']} | {r['wrong']} | {r['no_answer']} | "
            f"{100 * r['accuracy']:.2f} |"
        )
    f, s = h["flips"], h["flips_per_step"]
    out += [
        "",
        f"Hints turned {f['wrong_to_right']} wrong answers right and {f['right_to_wrong']} right "
        f"answers wrong (first vs final answer; between consecutive rounds: "
        f"{s['wrong_to_right']} wrong->right, {s['right_to_wrong']} right->wrong).",
        "",
    ]
    return out
