"""The shared grader: one call from a response and a gold answer to a verdict.

Modes:
- ``strict``: MetaMath's evaluation. The answer is the rest of the line after the last
  ``The answer is``; it is correct when its MATH-normalised string equals the gold's, or both are
  plain numbers of equal value. Nearly 100% precise, low recall (the paper's Appendix B).
- ``equiv`` (default): :func:`~skyray.math.extract.extract_answer` then
  :func:`~skyray.math.equiv.is_equiv`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from skyray.math.equiv import DEFAULT_TIMEOUT_S, is_equiv
from skyray.math.extract import extract_answer, extract_strict, final_boxed
from skyray.math.latex import last_boxed
from skyray.math.normalize import strict_normalize
from skyray.math.timelimit import row_budget

# CPU seconds for all comparisons of one graded row (a response listing many hard expressions)
DEFAULT_ROW_BUDGET_S = 5.0

GraderMode = Literal["strict", "equiv"]
GRADER_MODES: tuple[str, ...] = ("strict", "equiv")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class Grade:
    extracted: str | None  # the answer taken from the response, None if none was found
    correct: bool
    method: str  # which extraction rule fired ("none" when no answer was found)


def strict_equal(pred: str | None, gold: str | None) -> bool:
    """MetaMath's comparison: normalised strings, or equal plain numbers (commas dropped)."""
    if pred is None or gold is None:
        return False
    if strict_normalize(pred) == strict_normalize(gold):
        return True
    # GSM8K-style: both plain decimal numbers (no fractions), compared by value
    a, b = pred.replace(",", "").rstrip(".").strip(), gold.replace(",", "").strip()
    if not (_PLAIN_NUMBER.fullmatch(a) and _PLAIN_NUMBER.fullmatch(b)):
        return False
    return Fraction(a) == Fraction(b)


def grade(
    response: str,
    gold: str,
    mode: GraderMode = "equiv",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    row_budget_s: float | None = DEFAULT_ROW_BUDGET_S,
) -> Grade:
    """Grade one response against one gold answer.

    ``timeout_s`` caps each symbolic comparison and ``row_budget_s`` all of them together, both in
    CPU seconds (:mod:`skyray.math.timelimit`); a comparison cut short counts as "not equal"."""
    if mode == "strict":
        extraction = extract_strict(response or "")
        return Grade(extraction.answer, strict_equal(extraction.answer, gold), extraction.method)
    if mode == "equiv":
        extraction = extract_answer(response or "")
        with row_budget(row_budget_s):
            correct = is_equiv(extraction.answer, gold_answer(gold), timeout_s)
        return Grade(extraction.answer, correct, extraction.method)
    raise ValueError(f"unknown grader {mode!r}; choose one of {', '.join(GRADER_MODES)}")


def gold_answer(gold: str) -> str:
    """The answer a gold string states: its boxes when it has some (``\\boxed{1}\\boxed{2}`` ->
    ``1, 2``), else the gold as written."""
    boxed = final_boxed(gold or "")
    return boxed if boxed else gold


def gold_from_solution(solution: str) -> str | None:
    """Gold answer from a reference solution: MATH's last ``\\boxed{}``, else GSM8K's ``#### N``."""
    boxed = last_boxed(solution)
    if boxed is not None:
        return boxed.strip()
    if "####" in solution:
        return solution.rsplit("####", 1)[1].strip().replace(",", "")
    return None
