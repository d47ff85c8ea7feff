"""A small, safe evaluator for LaTeX arithmetic, used to settle most comparisons without sympy.

Handles numbers, ``+ - * / ^``, parentheses and braces, ``\\frac``/``\\dfrac``, ``\\sqrt`` (and
``\\sqrt[n]``), ``\\pi``, ``\\cdot``/``\\times``/``\\div``, implicit multiplication and single-letter
variables. Expressions with variables are evaluated at fixed random points (polynomial identity
testing), so two forms that differ anywhere are told apart cheaply. Anything else (equations,
sets, functions, text) raises :class:`Unsupported` and is left to the symbolic path.
No ``eval``: a hand-written recursive-descent parser over a token list.
"""

from __future__ import annotations

import math
import re

MAX_EXPONENT = 64.0  # bigger powers are left to sympy (exact big numbers, no overflow here)
_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<cmd>\\[a-zA-Z]+)|(?P<var>[a-zA-Z])|(?P<op>[-+*/^(){}\[\]]))"
)
_IGNORED = {"\\left", "\\right", "\\displaystyle", "\\!", "\\,"}
_TIMES = {"\\cdot", "\\times"}


class Unsupported(ValueError):
    """The expression uses something this evaluator does not handle."""


def tokenize(text: str) -> list[str]:
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    text = text.replace("\\!", "").replace("\\,", "").replace("\\ ", "")
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise Unsupported(f"cannot tokenize {text[pos : pos + 10]!r}")
        pos = match.end()
        token = match.group(match.lastgroup)  # type: ignore[arg-type]
        if token not in _IGNORED:
            tokens.append(token)
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], point: dict[str, float]):
        self.tokens, self.pos, self.point = tokens, 0, point

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise Unsupported(f"expected {expected!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> float:
        value = self.expr()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()!r}")
        return value

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "/", "\\div") or token in _TIMES:
                self.take()
                rhs = self.unary()
                if token in ("/", "\\div"):
                    if rhs == 0:
                        raise Unsupported("division by zero")
                    value /= rhs
                else:
                    value *= rhs
            elif token is not None and self._starts_atom(token):
                value *= self.power()  # implicit multiplication: 2\sqrt{3}, 3\pi, 2x
            else:
                return value

    def _starts_atom(self, token: str) -> bool:
        return (
            token in ("(", "{")
            or token in ("\\frac", "\\sqrt", "\\pi")
            or token.isalpha()
            or token[0].isdigit()
            or token[0] == "."
        )

    def unary(self) -> float:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        if self.peek() == "+":
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.unary() if self.peek() == "-" else self.atom()
            if abs(exponent) > MAX_EXPONENT:
                raise Unsupported("exponent too large")
            if base < 0 and exponent != int(exponent):
                raise Unsupported("complex power")
            if base == 0 and exponent < 0:
                raise Unsupported("division by zero")
            return base**exponent
        return base

    def group(self) -> float:
        close = {"(": ")", "{": "}", "[": "]"}
        opener = self.take()
        if opener not in close:
            raise Unsupported(f"expected a group, got {opener!r}")
        value = self.expr()
        self.take(close[opener])
        return value

    def _frac_args(self) -> tuple[float, float]:
        """``\\frac{a}{b}``, ``\\frac{a}b``, and the brace-less ``\\frac14`` (= 1/4)."""
        token = self.peek()
        if token is not None and token[0].isdigit() and len(token) > 1 and token.isdigit():
            self.take()
            return float(token[0]), float(token[1:]) if len(token) > 2 else float(token[1])
        num = self.group() if token in ("{", "(") else self.atom()
        nxt = self.peek()
        den = self.group() if nxt in ("{", "(") else self.atom()
        return num, den

    def atom(self) -> float:
        token = self.peek()
        if token is None:
            raise Unsupported("unexpected end")
        if token in ("(", "{"):
            return self.group()
        self.take()
        if token[0].isdigit() or token[0] == ".":
            return float(token)
        if token == "\\pi":
            return math.pi
        if token == "\\frac":
            num, den = self._frac_args()
            if den == 0:
                raise Unsupported("division by zero")
            return num / den
        if token == "\\sqrt":
            root = 2.0
            if self.peek() == "[":
                root = self.group()
            radicand = self.group() if self.peek() == "{" else self.atom()
            if radicand < 0 or root == 0:
                raise Unsupported("complex root")
            return radicand ** (1.0 / root)
        if len(token) == 1 and token.isalpha():
            if token not in self.point:
                raise Unsupported(f"no value for {token}")
            return self.point[token]
        raise Unsupported(f"unsupported token {token!r}")


def _points(variables: set[str]) -> list[dict[str, float]]:
    # two fixed, irrational-ish points: a coincidental match at both is vanishingly unlikely
    return [{v: 0.5 + math.sqrt(2 + ord(v) % 7) + 0.1 * k for v in variables} for k in (1, 2)]


def variables_of(tokens: list[str]) -> set[str]:
    return {t for t in tokens if len(t) == 1 and t.isalpha()}


def evaluate(text: str, variables: set[str] | None = None) -> tuple[float, ...]:
    """Values of ``text`` at the fixed points of ``variables`` (default: its own letters; one
    value when there are none)."""
    tokens = tokenize(text)
    if not tokens:
        raise Unsupported("empty")
    variables = variables_of(tokens) if variables is None else variables
    points = _points(variables) if variables else [{}]
    values = tuple(_Parser(tokens, point).parse() for point in points)
    if not all(math.isfinite(v) for v in values):
        raise Unsupported("not finite")
    return values


def _close(a: tuple[float, ...], b: tuple[float, ...], rel: float, abs_: float) -> bool:
    return all(math.isclose(x, y, rel_tol=rel, abs_tol=abs_) for x, y in zip(a, b, strict=True))


def numeric_verdict(pred: str, gold: str, rel_tol: float = 1e-9) -> bool | None:
    """True/False when the float evaluation settles it, None when it cannot.

    Both sides are evaluated at the same points over the union of their variables, so a constant
    against a non-constant expression is told apart too. A clear numeric difference is a
    definite "not equal"; a match is only accepted when both sides use the same variables, and a
    decimal prediction for a gold written without decimals is never accepted here (a rounded
    decimal is not the exact value; that case goes to the exact path).
    """
    try:
        p_vars, g_vars = variables_of(tokenize(pred)), variables_of(tokenize(gold))
        union = p_vars | g_vars
        p_values, g_values = evaluate(pred, union), evaluate(gold, union)
    except (Unsupported, OverflowError, ZeroDivisionError, RecursionError, ValueError):
        return None
    if not _close(p_values, g_values, 1e-6, 1e-9):
        return False
    if p_vars != g_vars or not _close(p_values, g_values, rel_tol, 1e-12):
        return None
    if "." in pred and "." not in gold:
        return None
    return True
