"""String normalisation of answers, following the MATH/MetaMath ``strip_string`` rules.

:func:`strict_normalize` is the normalisation the strict grader compares with: formatting noise
goes (spaces, ``\\left``/``\\right``, ``\\dfrac``, degree signs, dollar signs, trailing
``\\text{ units}``), the value is never reinterpreted. :func:`loose_normalize` goes further for the
equivalence grader's fast path (``\\text{}`` unwrapping, quotes, thousands separators, case).
"""

from __future__ import annotations

import re

from skyray.math.latex import braced_group, strip_math_delimiters

_UNIT_WORDS = (
    r"(?:degrees?|cm|centimeters?|meters?|m|km|kilometers?|inches|inch|in|feet|foot|ft|yards?|"
    r"miles?|mph|units?|square\s+units?|sq\s+units?|dollars?|cents?|hours?|minutes?|seconds?|"
    r"days?|weeks?|years?|pounds?|ounces?|gallons?|liters?|grams?|kg|mm|students|people|"
    r"percent|points?)"
)
_TRAILING_UNIT_RE = re.compile(r"^(-?[\d.,/]+)\s*(?:\\?\s*" + _UNIT_WORDS + r")\.?$", re.IGNORECASE)
_THOUSANDS_RE = re.compile(r"(?<![\d.])(\d{1,3})((?:,\d{3})+)(?![\d,])")


def _fix_fracs(text: str) -> str:
    """``\\frac12`` -> ``\\frac{1}{2}``; ``\\frac1{72}`` -> ``\\frac{1}{72}``."""
    parts = text.split("\\frac")
    out = parts[0]
    for part in parts[1:]:
        out += "\\frac"
        if part.startswith("{") or len(part) < 2:
            out += part
            continue
        a, rest = part[0], part[1:]
        if rest.startswith("{"):
            out += "{" + a + "}" + rest
        else:
            out += "{" + a + "}{" + rest[0] + "}" + rest[1:]
    return out


def _fix_sqrt(text: str) -> str:
    """``\\sqrt3`` -> ``\\sqrt{3}``."""
    return re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", text)


def _slash_to_frac(text: str) -> str:
    """``3/4`` (two plain integers) -> ``\\frac{3}{4}``."""
    match = re.fullmatch(r"(-?)(\d+)/(\d+)", text)
    if not match:
        return text
    sign, a, b = match.groups()
    return f"{sign}\\frac{{{a}}}{{{b}}}"


def _remove_right_units(text: str) -> str:
    """``5\\text{ cm}`` -> ``5`` (MATH's convention: units follow ``\\text{ `` with a space)."""
    if "\\text{ " in text:
        head = text.split("\\text{ ")[0]
        if head.strip():
            return head
    return text


def strict_normalize(text: str | None) -> str:
    """MATH ``strip_string``-style canonical string (formatting only, value untouched)."""
    if text is None:
        return ""
    s = strip_math_delimiters(str(text))
    s = s.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "")
    s = s.replace("\\$", "").replace("$", "")
    s = _remove_right_units(s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    if s.startswith("."):
        s = "0" + s
    # "x = 2" / "k=5": drop a short left-hand side
    if s.count("=") == 1 and len(s.split("=")[0].strip()) <= 2:
        s = s.split("=")[1]
    s = _fix_sqrt(s)
    s = s.replace(" ", "")
    s = _fix_fracs(s)
    if s == "0.5":
        s = "\\frac{1}{2}"
    s = _slash_to_frac(s)
    s = s.rstrip(".")
    return s


def unwrap_text(text: str) -> str:
    """Replace ``\\text{x}``, ``\\textbf{x}``, ``\\mathrm{x}``, ``\\mbox{x}`` by ``x``."""
    pattern = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*(?=\{)")
    while True:
        match = pattern.search(text)
        if not match:
            return text
        group = braced_group(text, match.end())
        if group is None:
            return text
        inner, end = group
        text = text[: match.start()] + inner + text[end:]


def loose_normalize(text: str | None) -> str:
    """Strict normalisation plus what a human grader ignores (text wrappers, quotes, case,
    thousands separators, a trailing unit word after a number)."""
    if text is None:
        return ""
    s = str(text).strip()
    for quote in ('\\"', '"', "'"):
        if s.startswith(quote) and s.endswith(quote) and len(s) > 2 * len(quote):
            s = s[len(quote) : -len(quote)]
    s = strip_math_delimiters(s)
    s = s.replace("\\,", "").replace("\\;", "").replace("\\ ", " ").replace("~", " ")
    s = s.replace("{,}", ",")
    match = _TRAILING_UNIT_RE.match(s.replace("\\text{", "").replace("}", "").strip())
    if match:
        s = match.group(1)
    s = unwrap_text(s)
    s = _THOUSANDS_RE.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), s)
    s = strict_normalize(s)
    return s.lower().strip()
