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
_PLAIN_NUMBER = re.compile(r"-?(?:\d{1,400}(?:\.\d{0,400})?|\.\d{1,400})")
_SIMPLE_FRACTION = re.compile(r"(-?)\\frac\{(\d{1,400})\}\{(\d{1,400})\}")


@dataclass(frozen=True)
class Grade:
    extracted: str | None  # the answer taken from the response, None if none was found
    correct: bool
    method: str  # which extraction rule fired ("none" when no answer was found)


def strict_equal(pred: str | None, gold: str | None) -> bool:
    """MetaMath's comparison: normalised strings, or plain numbers of equal value when one of them
    is a decimal (commas dropped): ``2.5`` equals ``\\frac{5}{2}``; two fractions still compare as
    written (``2/4`` is not ``\\frac{1}{2}``)."""
    if pred is None or gold is None:
        return False
    if strict_normalize(pred) == strict_normalize(gold):
        return True
    pred = pred.rstrip(".")
    fraction = _SIMPLE_FRACTION.fullmatch(strict_normalize(pred)) or _SIMPLE_FRACTION.fullmatch(
        strict_normalize(gold)
    )
    if fraction and "." not in strict_normalize(pred) + strict_normalize(gold):
        return False  # two fractions (or a fraction and an integer): as written
    a, b = _plain_value(pred), _plain_value(gold)
    return a is not None and a == b


def _plain_value(text: str) -> Fraction | None:
    """Value of a plain decimal, ``a/b`` or ``\\frac{a}{b}`` (integers a, b); else None."""
    s = strict_normalize(text.replace(",", ""))
    try:
        if _PLAIN_NUMBER.fullmatch(s):
            return Fraction(s)
        match = _SIMPLE_FRACTION.fullmatch(s)
        if match:
            sign, num, den = match.groups()
            value = Fraction(int(num), int(den))
            return -value if sign else value
    except (ValueError, ZeroDivisionError):
        return None
    return None


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
