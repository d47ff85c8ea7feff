"""Refuse answers whose exact value is astronomically large before sympy tries to build it.

sympy evaluates ``3^{3^{3^{3}}}`` or ``(10^{9})!`` as exact integers. That work happens inside
one C call (big-integer power or product) that holds the interpreter: no signal, no CPU-time
limit and no other thread can stop it until it returns, which may be never. Such an answer is
only compared as a string (see :func:`skyray.math.equiv.is_equiv`).
"""

from __future__ import annotations

import re

from skyray.math.latex import braced_group
from skyray.math.numeric import Unsupported, evaluate

MAX_EXPONENT = 1e5  # b^e with a numeric exponent above this is "too large" (b not 0, 1 or -1)
MAX_FACTORIAL = 1e4  # n! with a numeric n above this is "too large"
_FACTORIAL_RE = re.compile(r"(\d+|\([^()]*\)|\{[^{}]*\})\s*!")


def _operand_after(text: str, start: int) -> str:
    """The exponent written after a ``^`` at ``start - 1``: a braced group or one token."""
    group = braced_group(text, start)
    if group is not None:
        return group[0]
    match = re.match(r"\s*(-?\d+(?:\.\d+)?|\\?[a-zA-Z]+)", text[start:])
    return match.group(1) if match else ""


def _value(text: str) -> float | None:
    """The number ``text`` evaluates to; inf when it is a number too large to evaluate; None
    when it is not a plain number (it has variables or something the evaluator does not know)."""
    try:
        values = evaluate(text, set())
    except OverflowError:
        return float("inf")
    except Unsupported as exc:
        return float("inf") if "too large" in str(exc) or "not finite" in str(exc) else None
    except (ZeroDivisionError, RecursionError, ValueError):
        return None
    return values[0]


def too_large(text: str) -> bool:
    """True when ``text`` holds a power with a huge numeric exponent or a huge factorial."""
    if "^" not in text and "!" not in text:
        return False
    for match in re.finditer(r"\^", text):
        exponent = _value(_operand_after(text, match.end()))
        if exponent is not None and abs(exponent) > MAX_EXPONENT:
            return True
    for match in _FACTORIAL_RE.finditer(text):
        operand = match.group(1)
        if operand[0] in "({":
            operand = operand[1:-1]
        value = _value(operand)
        if value is not None and abs(value) > MAX_FACTORIAL:
            return True
    return False
