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

from skyray.math.latex import split_top_level, strip_math_delimiters
from skyray.math.magnitude import too_large
from skyray.math.normalize import loose_normalize, unwrap_text
from skyray.math.numeric import Unsupported, evaluate, numeric_verdict
from skyray.math.timelimit import EquivTimeout, run_limited

__all__ = ["DEFAULT_TIMEOUT_S", "EquivTimeout", "is_equiv", "majority_answer", "symbolic_equal"]

DEFAULT_TIMEOUT_S = 2.0
# at most 4 exponent digits: Fraction("1e999999999") would build a billion-digit integer
_NUMBER_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d{1,4})?")
_FRAC_RE = re.compile(r"(-?)\\frac\{(-?[\d.]+)\}\{(-?[\d.]+)\}")
_LIST_OPEN, _LIST_CLOSE = "([{", ")]}"


def parse_number(text: str) -> tuple[Fraction, bool] | None:
    """Exact value of a plain numeric answer, and whether it was written as a percent.

    Accepts integers, decimals, ``a/b``, ``\\frac{a}{b}`` and a trailing ``%``; anything else
    (symbols, radicals) returns None.
    """
    s = text.strip().replace("\\%", "%").replace(" ", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
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
    except (ValueError, ZeroDivisionError):
        return None
    return None


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
    # "24%" for 0.24 (and "24" for a gold written "24\%") are the same value
    return bool((p_pct and pv / 100 == gv) or (g_pct and gv / 100 == pv))


def _clean(text: str) -> str:
    """Delimiters, text wrappers and degree signs off, number formatting kept for parsing."""
    s = strip_math_delimiters(text)
    s = unwrap_text(s).replace("^{\\circ}", "").replace("^\\circ", "").replace("\\$", "")
    s = re.sub(
        r"(?<![\d.])(\d{1,3})((?:,\d{3})+)(?![\d,])", lambda m: m[1] + m[2].replace(",", ""), s
    )
    return s.strip()


def _last_side(text: str) -> str:
    """``x=\\frac{2401}{100}=24.01`` -> ``24.01``."""
    return text.split("=")[-1].strip()


def _is_wrapped(text: str) -> bool:
    return len(text) >= 2 and text[0] in _LIST_OPEN and text[-1] in _LIST_CLOSE


def _list_items(text: str) -> list[str]:
    return [item.strip() for item in split_top_level(text) if item.strip()]


def _compare_lists(pred: str, gold: str, timeout_s: float) -> bool | None:
    """Ordered tuples/intervals compare in order with the same brackets; sets and bare lists
    compare unordered."""
    if (
        pred.startswith("\\{")
        and pred.endswith("\\}")
        and gold.startswith("\\{")
        and gold.endswith("\\}")
    ):
        pred, gold = pred[2:-2], gold[2:-2]
    if _is_wrapped(gold) and _is_wrapped(pred):
        g_items, p_items = _list_items(gold[1:-1]), _list_items(pred[1:-1])
        if len(g_items) < 2 and len(p_items) < 2:
            return None
        if (gold[0], gold[-1]) != (pred[0], pred[-1]) or len(g_items) != len(p_items):
            return False
        return all(is_equiv(p, g, timeout_s) for p, g in zip(p_items, g_items, strict=True))
    g_items, p_items = _list_items(gold), _list_items(pred)
    if len(g_items) < 2 and len(p_items) < 2:
        return None
    if len(g_items) != len(p_items) or _is_wrapped(gold) != _is_wrapped(pred):
        return False
    remaining = list(p_items)
    for g in g_items:
        hit = next((p for p in remaining if is_equiv(p, g, timeout_s)), None)
        if hit is None:
            return False
        remaining.remove(hit)
    return True


def _scalar_vs_tuple(pred: str, gold: str) -> bool:
    """One side a number, the other a tuple/interval/list of several items: never equal."""
    for one, other in ((pred, gold), (gold, pred)):
        inner = other[1:-1] if _is_wrapped(other) else other
        if len(_list_items(inner)) >= 2:
            try:
                evaluate(one)
                return True
            except (Unsupported, OverflowError, ZeroDivisionError, RecursionError):
                continue
    return False


def _text_answer(text: str) -> str | None:
    """Lower-case words for non-math answers (``\\text{odd}``, ``"Evelyn"``, ``(C)``)."""
    s = loose_normalize(text)
    s = re.sub(r"^\((\w)\)$", r"\1", s)
    return s if re.fullmatch(r"[a-z][a-z ]*", s) else None


def is_equiv(pred: str | None, gold: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when ``pred`` is the same answer as ``gold``."""
    if pred is None or gold is None or not str(pred).strip() or not str(gold).strip():
        return False
    pred, gold = str(pred), str(gold)
    if loose_normalize(pred) == loose_normalize(gold):
        return True
    p, g = _clean(pred), _clean(gold)
    if "=" in p and "=" not in g:
        p = _last_side(p)
    if "=" in g and "=" not in p and re.fullmatch(r"\s*[a-zA-Z]\w*\s*=.*", g):
        g = _last_side(g)
    numeric = _numbers_equal(p, g)
    if numeric is not None:
        return numeric
    text_p, text_g = _text_answer(p), _text_answer(g)
    if text_p is not None or text_g is not None:
        return text_p == text_g
    listed = _compare_lists(p, g, timeout_s)
    if listed is not None:
        return listed
    if loose_normalize(p) == loose_normalize(g):
        return True
    verdict = numeric_verdict(p, g)
    if verdict is not None:
        return verdict
    if _scalar_vs_tuple(p, g) or too_large(p) or too_large(g):
        return False
    try:
        return symbolic_equal(p, g, timeout_s)
    except EquivTimeout:
        return False


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
    return bool(verify(list(gold_parsed), list(pred_parsed), timeout_seconds=None))


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
