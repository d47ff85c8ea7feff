"""The labelled grading cases (``grading_cases.jsonl``) written out as model responses.

Each case is (kind, gold, answer, correct): ``answer`` is what a model concluded, ``correct`` a
careful human grader's verdict against ``gold``. Every case is rendered with each ending in
:data:`ENDINGS` (the ways real models close a solution), and those with several items also with
one ``\\boxed{}`` per item. Used by ``tests/math/test_grading_cases.py`` and
``bench/grading_accuracy.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from skyray.math.latex import split_top_level

CASES_PATH = Path(__file__).with_name("grading_cases.jsonl")
REASONING = (
    "Let me work through this carefully.\n"
    "First I set up the relation from the statement, which involves 2 quantities.\n"
    "Then I simplify step by step and check the result against the conditions (case 1 and 3).\n"
)
ENDINGS = {
    "answer-is-colon": "The answer is: {x}",
    "answer-is-dollar": "Therefore, the answer is ${x}$.",
    "boxed": "So the final result is $\\boxed{{{x}}}$.",
    "minerva": "Final Answer: The final answer is ${x}$. I hope it is correct.",
    "answer-label": "Answer: ${x}$",
    "bold-label": "**Answer:** ${x}$",
    "bold": "So the answer is **${x}$**.",
    "closing-sentence": "Hence the value we are looking for is ${x}$.",
}


def load_cases() -> list[dict]:
    return [json.loads(line) for line in CASES_PATH.read_text().splitlines() if line.strip()]


def _several_boxes(answer: str) -> str | None:
    items = [item.strip() for item in split_top_level(answer) if item.strip()]
    thousands = re.search(r"\d\\?,(?:\\!)?\s*\d{3}", answer)
    if len(items) < 2 or thousands or any("=" in item for item in items[1:]):
        return None
    boxes = [f"$\\boxed{{{item}}}$" for item in items]
    return "The solutions are " + ", ".join(boxes[:-1]) + " and " + boxes[-1] + "."


def responses(case: dict) -> list[tuple[str, str]]:
    """(ending name, full response) for every way ``case`` is written."""
    out = [(name, REASONING + ending.format(x=case["answer"])) for name, ending in ENDINGS.items()]
    boxes = _several_boxes(case["answer"])
    if boxes is not None:
        out.append(("several-boxes", REASONING + boxes))
    return out


def measure(grade_fn) -> dict:
    """Precision/recall of ``grade_fn(response, gold) -> bool`` over every rendered case."""
    tp = fp = fn = tn = 0
    misses: list[tuple[str, str, str, str, bool]] = []
    per_ending: dict[str, list[int]] = {}
    for case in load_cases():
        for ending, response in responses(case):
            verdict = grade_fn(response, case["gold"])
            label = case["correct"]
            tp += verdict and label
            fp += verdict and not label
            fn += label and not verdict
            tn += not label and not verdict
            stats = per_ending.setdefault(ending, [0, 0])
            stats[0] += verdict == label
            stats[1] += 1
            if verdict != label:
                misses.append((case["kind"], ending, case["gold"], case["answer"], label))
    return {
        "responses": tp + fp + fn + tn,
        "positives": tp + fn,
        "negatives": fp + tn,
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "accuracy_per_ending": {k: v[0] / v[1] for k, v in per_ending.items()},
        "misses": misses,
    }
