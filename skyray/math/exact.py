"""Exact values of plain numeric answers, in every way MATH and models write them.

Integers, decimals, ``a/b``, ``\\frac{a}{b}``, mixed numbers (``918\\frac{1}{2}`` is 918.5, MATH's
convention), repeating decimals (``0.\\overline{3}`` is 1/3, ``0.1\\overline{6}`` is 1/6), and a
trailing percent sign. Anything else (symbols, radicals) is not a plain number: None.
"""

from __future__ import annotations

import re
from fractions import Fraction

# at most 4 exponent digits: Fraction("1e999999999") would build a billion-digit integer
_NUMBER_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d{1,4})?")
_FRAC_RE = re.compile(r"(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}")
_MIXED_RE = re.compile(r"(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}")
_REPEATING_RE = re.compile(r"(-?)(\d*)\.(\d*)\\overline\{(\d+)\}")
_SHORT_FRAC_RE = re.compile(r"\\frac(\d)(\d)(?!\d)")
FULL_PRECISION_DIGITS = 6  # a decimal with this many decimals may stand for an exact value


def _repeating(match: re.Match) -> Fraction:
    sign, whole, fixed, period = match.groups()
    value = Fraction(int(whole or "0"))
    if fixed:
        value += Fraction(int(fixed), 10 ** len(fixed))
    value += Fraction(int(period), 10 ** len(fixed) * (10 ** len(period) - 1))
    return -value if sign else value


def parse_number(text: str) -> tuple[Fraction, bool] | None:
    """Exact value of a plain numeric answer, and whether it was written as a percent."""
    s = text.strip().replace("\\%", "%").replace(" ", "").replace("{}", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = _SHORT_FRAC_RE.sub(r"\\frac{\1}{\2}", s)
    percent = s.endswith("%")
    s = s.rstrip("%")
    if s.startswith("+"):
        s = s[1:]
    try:
        if _NUMBER_RE.fullmatch(s):
            return Fraction(s), percent
        match = re.fullmatch(r"(-?\d+)/(-?\d+)", s)
        if match:
            return Fraction(int(match.group(1)), int(match.group(2))), percent
        match = _FRAC_RE.fullmatch(s)
        if match:
            value = Fraction(match.group(2)) / Fraction(match.group(3))
            return (-value if match.group(1) else value), percent
        match = _MIXED_RE.fullmatch(s)
        if match and int(match.group(3)) < int(match.group(4)):
            sign, whole, num, den = match.groups()
            value = int(whole) + Fraction(int(num), int(den))
            return (-value if sign else value), percent
        match = _REPEATING_RE.fullmatch(s)
        if match:
            return _repeating(match), percent
    except (ValueError, ZeroDivisionError):
        return None
    return None


def decimal_places(text: str) -> int | None:
    """Number of decimals of a plain decimal (``0.08333`` -> 5); None for anything else."""
    match = re.fullmatch(r"\s*[-+]?\d*\.(\d+)\s*", text)
    return len(match.group(1)) if match else None


def full_precision_match(decimal_text: str, value: float) -> bool:
    """``decimal_text`` has at least FULL_PRECISION_DIGITS decimals and is ``value`` rounded or
    cut at its last decimal (``0.0833333`` for 1/12, ``4.1231056`` for sqrt(17))."""
    places = decimal_places(decimal_text)
    if places is None or places < FULL_PRECISION_DIGITS:
        return False
    return abs(float(decimal_text) - value) < 10.0 ** (-places) * 1.000001
