"""Backward questions (MetaMath FOBAR and self-verification): pure text transforms.

A number of the question is masked with the unknown ``X`` and the original answer is given, so
the gold answer of the backward question is the masked number itself:

- FOBAR: ``"<masked question> If we know the answer to the above question is A, what is the
  value of unknown variable X?"``
- self-verification (SV), as MetaMath means it: the teacher rewrites the masked question and its
  answer into a declarative statement (prompt ``sv_rewrite``), then the unknown is asked for:
  ``"<statement>\\nWhat is the value of the unknown variable X?"`` (:func:`sv_question`).
  :func:`make_backward` with ``kind="sv"`` still builds the older fixed-sentence form, which
  :func:`parse_backward` reads.

:func:`parse_backward` inverts both (the deterministic teacher uses it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FOBAR_SUFFIX = (
    " If we know the answer to the above question is {answer}, "
    "what is the value of unknown variable X?"
)
SV_SUFFIX = (
    "\nThe answer to the question above is {answer}. What is the value of the unknown variable X?"
)
SV_ASK = "\nWhat is the value of the unknown variable X?"
# a plain number in running text: not part of a word, a LaTeX command, a power or an index
_NUMBER = re.compile(r"(?<![\w\\^_.{])(\d+(?:\.\d+)?)(?![\w.}]|\.\d)")
_HAS_X = re.compile(r"(?<![\w\\])X(?!\w)")
_FOBAR_RE = re.compile(
    r"(?P<body>.*) If we know the answer to the above question is (?P<answer>.+), "
    r"what is the value of unknown variable X\?\Z",
    re.DOTALL,
)
_SV_RE = re.compile(
    r"(?P<body>.*)\nThe answer to the question above is (?P<answer>.+)\. "
    r"What is the value of the unknown variable X\?\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class Backward:
    question: str  # the backward question
    masked: str  # the question with one number replaced by X
    value: str  # the masked number: the backward question's gold answer
    kind: str  # "fobar" or "sv"


def maskable_numbers(question: str) -> list[re.Match[str]]:
    """Numbers that can be masked (none when the question already uses a variable X)."""
    if _HAS_X.search(question):
        return []
    return list(_NUMBER.finditer(question))


def mask_number(question: str, choice: int) -> tuple[str, str] | None:
    """(masked question, masked value) using candidate ``choice % count``; None if no number."""
    numbers = maskable_numbers(question)
    if not numbers:
        return None
    found = numbers[choice % len(numbers)]
    return question[: found.start()] + "X" + question[found.end() :], found.group(1)


def make_backward(question: str, answer: str, kind: str, choice: int) -> Backward | None:
    """The FOBAR or SV question for (question, answer); None when there is nothing to mask."""
    if kind not in ("fobar", "sv"):
        raise ValueError(f"backward kind must be 'fobar' or 'sv', got {kind!r}")
    masked = mask_number(question.strip(), choice)
    if masked is None or not answer.strip():
        return None
    text, value = masked
    suffix = (FOBAR_SUFFIX if kind == "fobar" else SV_SUFFIX).format(answer=answer.strip())
    return Backward(question=text + suffix, masked=text, value=value, kind=kind)


def parse_backward(question: str) -> tuple[str, str, str] | None:
    """(kind, masked question, given answer) of a backward question, else None."""
    for kind, pattern in (("fobar", _FOBAR_RE), ("sv", _SV_RE)):
        found = pattern.match(question.strip())
        if found:
            return kind, found.group("body"), found.group("answer")
    return None


def sv_question(statement: str) -> str:
    """The SV question: the teacher's declarative statement, then the ask for X."""
    return statement.strip() + SV_ASK


def parse_sv_question(question: str) -> str | None:
    """The statement of an SV question built by :func:`sv_question`, else None."""
    question = question.strip()
    if not question.endswith(SV_ASK.strip()) or "\nThe answer to the question above is" in question:
        return None
    statement = question[: -len(SV_ASK.strip())].strip()
    return statement or None
