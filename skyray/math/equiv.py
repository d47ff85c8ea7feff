"""Answer equivalence as a careful human grader judges it.

Cheap checks run first (normalised strings, exact numbers, text answers, lists, a float evaluation
of arithmetic at fixed points, see :mod:`skyray.math.numeric`); only what they cannot settle goes to symbolic comparison with ``math-verify`` (sympy), under a wall-clock limit so
one pathological expression cannot stall a batch.

Accepted: fractions vs decimals of the same exact value, ``\\dfrac``, ``x=2`` vs ``2``, chained
equalities (``x=\\frac{2401}{100}=24.01``), unordered solution lists, percent forms, units and
``^\\circ``, ``\\text{}``, quotes, thousands separators, equivalent algebraic forms.
Rejected: rounded decimals for exact values, swapped ordered pairs, wrong interval endpoints.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from fractions import Fraction

from skyray.math.exact import decimal_places, full_precision_match, parse_number
from skyray.math.forms import is_equation, items, prepare, split_named, wrapper
from skyray.math.magnitude import too_large
from skyray.math.normalize import loose_normalize
from skyray.math.numeric import Unsupported, evaluate, numeric_verdict
from skyray.math.timelimit import EquivTimeout, run_limited

__all__ = ["DEFAULT_TIMEOUT_S", "EquivTimeout", "is_equiv", "majority_answer", "symbolic_equal"]

DEFAULT_TIMEOUT_S = 2.0


def _numeric_value(text: str) -> tuple[Fraction, bool] | None:
    """Exact value of ``text`` (raw, or after unit/format normalisation) and its percent flag."""
    percent = bool(re.search(r"(?:%|\\%|\bpercent)\s*\.?$", text.strip()))
    for candidate in (text, loose_normalize(text)):
        parsed = parse_number(candidate)
        if parsed is not None:
            return parsed[0], percent or parsed[1]
    return None


def _numbers_equal(pred: str, gold: str) -> bool | None:
    """Exact numeric comparison; None when either side is not a plain number."""
    a, b = _numeric_value(pred), _numeric_value(gold)
    if a is None or b is None:
        return None
    (pv, p_pct), (gv, g_pct) = a, b
    if pv == gv:
        return True
    # "24%" for 0.24 (and "24" for a gold written "24\\%") are the same value
    if (p_pct and pv / 100 == gv) or (g_pct and gv / 100 == pv):
        return True
    return full_precision_match(pred, float(gv)) or full_precision_match(gold, float(pv))


def _decimal_vs_exact(pred: str, gold: str) -> bool:
    """A decimal of full precision (FULL_PRECISION_DIGITS decimals) for a constant expression."""
    for decimal, exact in ((pred, gold), (gold, pred)):
        if decimal_places(decimal) is None:
            continue
        try:
            values = evaluate(exact, set())
        except (Unsupported, OverflowError, ZeroDivisionError, RecursionError, ValueError):
            return False
        return full_precision_match(decimal, values[0])
    return False


def _text_answer(text: str) -> str | None:
    """Lower-case words for non-math answers (``\\text{odd}``, ``"Evelyn"``, ``(C)``)."""
    s = loose_normalize(text)
    s = re.sub(r"^\((\w)\)$", r"\1", s)
    return s if re.fullmatch(r"[a-z][a-z ]*", s) else None


def _distinct(values: list[str]) -> list[str]:
    return list({re.sub(r"\s+", "", v): v for v in reversed(values)}.values())[::-1]


def _unordered(p_items: list[str], g_items: list[str], timeout_s: float) -> bool:
    """Same items in any order; a repeated item counts once (a set of solutions)."""
    if len(p_items) != len(g_items):
        p_items, g_items = _distinct(p_items), _distinct(g_items)
    if len(p_items) != len(g_items):
        return False
    remaining = list(p_items)
    for g in g_items:
        hit = next((p for p in remaining if _compare(p, g, timeout_s)), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def _ordered(p_items: list[str], g_items: list[str], timeout_s: float) -> bool:
    if len(p_items) != len(g_items):
        return False
    return all(_compare(p, g, timeout_s) for p, g in zip(p_items, g_items, strict=True))


def _same_value(values: list[str], timeout_s: float) -> bool:
    return all(_compare(v, values[0], timeout_s) for v in values[1:])


def _compare_lists(p: str, g: str, timeout_s: float) -> bool | None:
    """Sets and bare lists compare unordered (a set equals the bare list of its elements);
    tuples and intervals in order with the same brackets; a bare list against a tuple in order.
    None when neither side holds several items."""
    pw, gw = wrapper(p), wrapper(g)
    p_set = pw is not None and pw[0] == "set"
    g_set = gw is not None and gw[0] == "set"
    p_tuple = pw is not None and not p_set and len(items(pw[1], False)) >= 2
    g_tuple = gw is not None and not g_set and len(items(gw[1], False)) >= 2
    if p_tuple and g_tuple:
        if pw[0] != gw[0]:
            return False
        return _ordered(items(pw[1], False), items(gw[1], False), timeout_s)
    p_items = items(pw[1]) if p_set else items(p)
    g_items = items(gw[1]) if g_set else items(g)
    if len(p_items) < 2 and len(g_items) < 2 and not (p_set and g_set):
        return None
    if len(g_items) == 1 and not (p_set or p_tuple) and _same_value(p_items, timeout_s):
        # "\boxed{x+11} or \boxed{11+x}": several forms of one answer
        return _compare(p_items[0], g_items[0], timeout_s)
    if p_tuple or g_tuple:  # a tuple against a bare list: "{1,3}" read as "(1,3)"
        if (p_tuple and g_set) or (g_tuple and p_set):
            return False
        p_items = items(pw[1], False) if p_tuple else p_items
        g_items = items(gw[1], False) if g_tuple else g_items
        return _ordered(p_items, g_items, timeout_s)
    return _unordered(p_items, g_items, timeout_s)


def _compare_equations(p: str, g: str, timeout_s: float) -> bool | None:
    """Named answers (``x = 2``, ``(p,q) = (3,2)``) against values or other named answers; an
    equation against a bare value is never equal. None when neither side is an equation."""
    p_eq, g_eq = is_equation(p), is_equation(g)
    if not p_eq and not g_eq:
        return None
    p_name, p_value = split_named(p)
    g_name, g_value = split_named(g)
    if p_eq and g_eq:
        if p_name is not None and g_name is not None:
            names_differ = p_name and g_name and loose_normalize(p_name) != loose_normalize(g_name)
            return not names_differ and _compare(p_value, g_value, timeout_s)
        return _symbolic(p, g, timeout_s)
    if (p_eq and p_name is None) or (g_eq and g_name is None):
        return False  # "11a+c" is not "7 = 11a+c"
    return _compare(p_value, g_value, timeout_s)


_RELATION_RE = re.compile(r"[<>]|\\(?:leq|geq|neq|in)\b")
_MATRIX_RE = re.compile(r"\\begin\{[pbvBV]?matrix\}|\\begin\{array\}")


def _free_letters(text: str) -> bool:
    """Letters that are not part of a command (``\\pi``) or of ``\\text{...}``."""
    bare = re.sub(r"\\(?:text|mbox|mathrm|textbf)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", text)
    return bool(re.search(r"[a-zA-Z]", bare))


def _is_constant(text: str) -> bool:
    try:
        evaluate(text, set())
    except (Unsupported, OverflowError, ZeroDivisionError, RecursionError, ValueError):
        return False
    return True


def _shapes_differ(p: str, g: str) -> bool:
    """Cheap proof of inequality before sympy: a union of intervals against a number, a matrix
    against a scalar, a constant against an expression in a variable."""
    for one, other in ((p, g), (g, p)):
        if "\\cup" in one and "\\cup" not in other and not _RELATION_RE.search(other):
            return True
        if _MATRIX_RE.search(one) and not (_MATRIX_RE.search(other) or wrapper(other)):
            return True
        if _is_constant(one) and _free_letters(other) and not _RELATION_RE.search(other):
            return True
    return False


def _symbolic(p: str, g: str, timeout_s: float) -> bool:
    if _scalar_vs_tuple(p, g) or _shapes_differ(p, g) or too_large(p) or too_large(g):
        return False
    try:
        return symbolic_equal(p, g, timeout_s)
    except EquivTimeout:
        return False


def _compare(p: str, g: str, timeout_s: float) -> bool:
    """Equality of two prepared answers (:func:`skyray.math.forms.prepare`)."""
    if p == g:
        return True
    listed = _compare_lists(p, g, timeout_s)
    if listed is not None:
        return listed
    named = _compare_equations(p, g, timeout_s)
    if named is not None:
        return named
    if loose_normalize(p) == loose_normalize(g):
        return True
    numeric = _numbers_equal(p, g)
    if numeric is not None:
        return numeric
    text_p, text_g = _text_answer(p), _text_answer(g)
    if text_p is not None or text_g is not None:
        return text_p == text_g
    verdict = numeric_verdict(p, g)
    if verdict is not None:
        return verdict
    if _decimal_vs_exact(p, g):
        return True
    return _symbolic(p, g, timeout_s)


def _scalar_vs_tuple(pred: str, gold: str) -> bool:
    """One side a number, the other a tuple/interval/list of several items: never equal."""
    for one, other in ((pred, gold), (gold, pred)):
        wrapped = wrapper(other)
        inner = wrapped[1] if wrapped else other
        if len(items(inner, False)) >= 2:
            try:
                evaluate(one)
                return True
            except (Unsupported, OverflowError, ZeroDivisionError, RecursionError):
                continue
    return False


def is_equiv(pred: str | None, gold: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when ``pred`` is the same answer as ``gold``."""
    if pred is None or gold is None or not str(pred).strip() or not str(gold).strip():
        return False
    pred, gold = str(pred), str(gold)
    # the fast path drops a short left side ("k=2" -> "2", "7 = 11a+c" -> "11a+c"): equations
    # go the long way
    if "=" not in pred + gold and loose_normalize(pred) == loose_normalize(gold):
        return True
    p, g = prepare(pred), prepare(gold)
    if not p or not g:
        return False
    return _compare(p, g, timeout_s)


def symbolic_equal(pred: str, gold: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """math-verify's sympy comparison of two LaTeX answers, raising EquivTimeout past the limit."""
    return run_limited(lambda: _math_verify(pred, gold), timeout_s)


@functools.lru_cache(maxsize=16384)
def _parse_latex(text: str) -> tuple:
    """math-verify's parse of one answer, cached: a gold answer is parsed once per process."""
    import math_verify.grader
    import math_verify.parser
    from math_verify import LatexExtractionConfig, parse

    # we enforce the time limit ourselves (skyray.math.timelimit); silence its one-off warning
    math_verify.parser.TIMEOUT_WARNING_SHOWN = math_verify.grader.TIMEOUT_WARNING_SHOWN = True
    config = [LatexExtractionConfig(boxed_match_priority=0)]
    return tuple(parse(f"${text}$", extraction_config=config, parsing_timeout=None))


def _math_verify(pred: str, gold: str) -> bool:
    from math_verify import verify

    gold_parsed, pred_parsed = _parse_latex(gold), _parse_latex(pred)
    if not gold_parsed or not pred_parsed:
        return False
    # set relations both ways: "-2 \\le x \\le 7" against the gold "[-2, 7]"
    return bool(
        verify(
            list(gold_parsed),
            list(pred_parsed),
            allow_set_relation_comp=True,
            timeout_seconds=None,
        )
    )


def majority_answer(answers: list[str | None], timeout_s: float = DEFAULT_TIMEOUT_S) -> str | None:
    """Most frequent answer up to equivalence (first seen wins ties): for maj@k."""
    groups: list[list[str]] = []
    for answer in answers:
        if answer is None:
            continue
        for group in groups:
            if is_equiv(answer, group[0], timeout_s):
                group.append(answer)
                break
        else:
            groups.append([answer])
    if not groups:
        return None
    counts = Counter({i: len(g) for i, g in enumerate(groups)})
    best = max(counts.values())
    return next(groups[i][0] for i in range(len(groups)) if counts[i] == best)
