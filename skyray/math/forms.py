"""Rewrites of how an answer is written (never of its value), before answers are compared.

- :func:`prepare`: delimiters, ``\\!`` and spacing commands, thousands separators, ``\\left``/
  ``\\right``, relation symbols (``!=``/``\\ne`` -> ``\\neq``, ``>=`` -> ``\\geq``), "and"/"or"
  between answers -> a comma, ``x \\in`` before a set, ``;`` as the separator of a tuple,
  ``{1,3}`` grouping braces, unit text after a number (``\\frac{1}{3} \\text{meters}``).
- :func:`split_named`: ``(p,q) = (3,2)`` -> (``(p,q)``, ``(3,2)``) when the left side only names
  the answer (a symbol, ``a_3``, ``f(x)``, ``|AB|``, ``A:B``, a tuple of symbols); a numeric or
  composite left side (``7 = 11a+c``) is an equation, not a name.
- :func:`items` and :func:`wrapper`: the top-level structure of a list, set, tuple or interval.
"""

from __future__ import annotations

import re

from skyray.math.latex import braced_group, split_top_level, strip_math_delimiters
from skyray.math.normalize import unwrap_text

_SPACING_RE = re.compile(r"\\(?:quad|qquad|,|;|:|>| | )|~")
_RELATIONS = (
    (re.compile(r"\\(?:neq|ne)(?![a-zA-Z])|!="), r"\\neq "),
    (re.compile(r"\\(?:geq|geqslant|ge)(?![a-zA-Z])|>="), r"\\geq "),
    (re.compile(r"\\(?:leq|leqslant|le)(?![a-zA-Z])|<="), r"\\leq "),
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),
)
_CONNECTOR_RE = re.compile(
    r"\s*,?\s*(?:\\text\{\s*(?:and|or)\s*\}|\\(?:text|mbox)\{\s*,?\s*(?:and|or)\s*\}|(?<![a-zA-Z\\])(?:and|or)(?![a-zA-Z]))\s*,?\s*"
)
# "10,000" but not the pair "(12,102)" nor the interval "[1,000]"
_THOUSANDS_RE = re.compile(r"(?<![\d.(\[])(\d{1,3})((?:,\d{3})+)(?![\d,)\]])")
_MEMBER_RE = re.compile(r"^\s*[a-zA-Z]\s*\\in\s*")
_UNIT_TEXT_RE = re.compile(
    r"^(.*?[\d}).])\s*\\(?:text|mbox|textbf|textnormal|textit|mathrm)\{\s*[a-zA-Z][a-zA-Z .]*\}"
    r"(?:\^\{?\d\}?)?\s*$"
)
_SYMBOL = r"(?:[a-zA-Z]|\\[a-zA-Z]+|[A-Z]{2,4})(?:_\{?\w+\}?)?'*"
_NAME = (
    rf"(?:{_SYMBOL}(?:\s*:\s*{_SYMBOL})*|[a-zA-Z]\w*\([^()=]*\)|\|[A-Za-z]+\|"
    r"|\\frac\{[A-Za-z]+\}\{[A-Za-z]+\}|\\text\{[^{}=]*\})"
)
_NAME_RE = re.compile(rf"\s*(?:{_NAME}|\(\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\))\s*")


def _strip_unit_text(text: str) -> str:
    match = _UNIT_TEXT_RE.match(text)
    if match and not re.fullmatch(r"\s*\\text\{", match.group(1)):
        return match.group(1).strip()
    return text


def _unwrap_braces(text: str) -> str:
    """``{1,3}`` (plain grouping braces around the whole answer) -> ``1,3``."""
    while text.startswith("{") and braced_group(text, 0) == (text[1:-1], len(text)):
        text = text[1:-1].strip()
    return text


def _semicolons(text: str) -> str:
    """``(0;0;0)`` -> ``(0,0,0)``: a semicolon separates coordinates when no comma does."""
    if ";" in text and "," not in text:
        return text.replace(";", ",")
    return text


def _approx(text: str) -> str:
    """``x = 1/3 \\approx 0.33`` -> ``x = 1/3`` (the exact side); ``x \\approx 11`` -> ``x = 11``."""
    head, sep, _ = text.partition("\\approx")
    if not sep:
        return text
    return head.strip() if is_equation(head) else text.replace("\\approx", "=")


def prepare(text: str) -> str:
    """The answer with its formatting made uniform (see the module docstring)."""
    s = strip_math_delimiters(str(text))
    s = re.sub(r"(?<!\\)\$", "", s).replace("\\$", "")
    s = re.sub(r"\\!\s*", "", s).replace("{,}", ",")
    s = s.replace("\\left", "").replace("\\right", "").replace("\\displaystyle", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = _approx(_SPACING_RE.sub(" ", s))
    for pattern, replacement in _RELATIONS:
        s = pattern.sub(replacement, s)
    s = _THOUSANDS_RE.sub(lambda m: m[1] + m[2].replace(",", ""), s)
    s = _strip_unit_text(s.strip())
    s = _CONNECTOR_RE.sub(", ", s).strip().strip(",").strip()
    s = _MEMBER_RE.sub("", s)
    s = _unwrap_braces(s.strip().rstrip(".").strip())
    s = _semicolons(s)
    return re.sub(r"\s+", " ", s).strip()


def split_named(text: str) -> tuple[str | None, str]:
    """(name, value) of ``name = value`` when the left side only names the answer; else
    (None, text). Chains keep their last side: ``x = 5+5+1 = 11`` -> (``x``, ``11``)."""
    sides = re.split(r"(?<![<>\\!])=", text)
    if len(sides) < 2:
        return None, text
    if len(sides) > 2:
        return "", sides[-1].strip()
    left, right = sides
    if _NAME_RE.fullmatch(left) and right.strip():
        return re.sub(r"\s+", "", unwrap_text(left)), right.strip()
    return None, text


def is_equation(text: str) -> bool:
    return bool(re.search(r"(?<![<>\\!])=", text))


def _closes_at_end(text: str, start: int) -> bool:
    """The bracket opened at ``text[start]`` closes at the last character."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] in "([{"
        depth -= text[i] in ")]}"
        if depth == 0:
            return i == len(text) - 1
    return False


def wrapper(text: str) -> tuple[str, str] | None:
    """(kind, inside) when one bracket pair wraps the whole answer: kind is ``set`` for
    ``\\{...\\}``, else the two bracket characters (``()``, ``[)``, ...)."""
    if text.startswith("\\{") and text.endswith("\\}") and _closes_at_end(text, 1):
        return "set", text[2:-2].strip()
    if len(text) >= 2 and text[0] in "([" and text[-1] in ")]" and _closes_at_end(text, 0):
        return text[0] + text[-1], text[1:-1].strip()
    return None


def _expand_pm(item: str) -> list[str]:
    if item.count("\\pm") == 1 and "\\mp" not in item:
        return [item.replace("\\pm", "+"), item.replace("\\pm", "-")]
    return [item]


def items(text: str, expand_pm: bool = True) -> list[str]:
    """Top-level comma-separated items; ``a \\pm b`` counts as two items when ``expand_pm``."""
    out = []
    for item in split_top_level(text):
        item = item.strip()
        if item:
            out.extend(_expand_pm(item) if expand_pm else [item])
    return out
