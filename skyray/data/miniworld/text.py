"""Puzzle <-> text: :func:`render` writes a puzzle's question, :func:`parse` reads one back.

Each sentence has two wordings (``style`` 0 or 1). The parser accepts either wording in any
sentence and the unknown ``X`` in any number slot (MetaMath's FOBAR/SV questions mask a number
with ``X``); :class:`Parsed` then builds the puzzle for a given value of ``X``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from skyray.data.miniworld.world import ITEMS, KINDS, NAMES, Puzzle, Step, solve

START = {
    "story": ("{N} has {v} {I}.", "{N} starts with {v} {I}."),
    "reverse": ("{N} thinks of a number.", "{N} picks a number."),
    "pair": (
        "{N} and {O} have {v} {I} in all. {N} has {m} more than {O}.",
        "Together {N} and {O} have {v} {I}. {N} has {m} {I} more than {O}.",
    ),
}
START["groups"] = START["story"]
STORY_STEPS = {
    "+": ("{N} gets {n} more.", "{N} finds {n} more {I}."),
    "-": ("{N} gives away {n}.", "{N} loses {n} {I}."),
    "*": ("{N} then has {n} times as many.", "The {I} of {N} grow {n} times."),
    "/": (
        "{N} splits them into {n} equal parts and keeps one.",
        "{N} keeps one of {n} equal parts.",
    ),
}
REVERSE_STEPS = {
    "+": ("{N} adds {n}.", "{N} then adds {n} to it."),
    "-": ("{N} subtracts {n}.", "{N} then takes {n} away."),
    "*": ("{N} multiplies it by {n}.", "{N} then multiplies the result by {n}."),
    "/": ("{N} divides it by {n}.", "{N} then divides the result by {n}."),
}
END = {
    "story": ("How many {I} does {N} have now?", "How many {I} does {N} have in the end?"),
    "reverse": (
        "The result is {v}. What was the number?",
        "{N} ends with {v}. What number did {N} pick?",
    ),
    "groups": (
        "{N} packs them in bags of {m}. How many {I} are left over?",
        "{N} puts them in groups of {m}. How many {I} are not in a full group?",
    ),
}
END["pair"] = END["story"]


def steps_for(kind: str) -> dict[str, tuple[str, str]]:
    return REVERSE_STEPS if kind == "reverse" else STORY_STEPS


def _fill(template: str, p: Puzzle, **numbers: int | str) -> str:
    return template.format(N=p.name, O=p.other, I=p.item, **numbers)


def render(p: Puzzle) -> str:
    """The question text of ``p`` (in its ``style``)."""
    s = p.style
    parts = [_fill(START[p.kind][s], p, v=p.first, m=p.extra)]
    parts += [_fill(steps_for(p.kind)[st.op][s], p, n=st.n) for st in p.steps]
    parts.append(_fill(END[p.kind][s], p, v=p.first, m=p.extra))
    return " ".join(parts)


def _sentences(text: str) -> list[str]:
    return [t.strip() for t in re.findall(r"[^.?]+[.?]", text)]


def explain(p: Puzzle) -> list[str]:
    """The written solution's lines: each step's own sentence, then its arithmetic.

    Copying the sentence first turns "which step comes next" into "which sentence follows the
    one just copied", a lookup a small model that can copy (its pretraining,
    :mod:`skyray.testing.miniworld.pretrain`) learns fast; the arithmetic then only needs what is
    on its own line and the line before.
    """
    solved = solve(p)
    assert solved is not None, f"ill-posed puzzle {p}"
    maths, s = solved[0], p.style
    steps = [_fill(steps_for(p.kind)[st.op][s], p, n=st.n)[:-1] for st in p.steps]
    if p.kind == "reverse":
        first = _sentences(_fill(END["reverse"][s], p, v=p.first))[0]
        undo = [
            f"Undoing {sentence}: {line}"
            for sentence, line in zip(reversed(steps), maths, strict=True)
        ]
        return [first, *undo]
    lines = _sentences(_fill(START[p.kind][s], p, v=p.first, m=p.extra))
    if p.kind == "pair":
        lines = [
            " ".join(lines),
            f"Twice what {p.name} has: {maths[0]}",
            f"{p.name} has half of that: {maths[1]}",
        ]
        maths = maths[2:]
    lines += [f"{sentence}: {line}" for sentence, line in zip(steps, maths, strict=False)]
    if p.kind == "groups":
        bags = _sentences(_fill(END["groups"][s], p, m=p.extra))[0][:-1]
        lines.append(f"{bags}: {maths[-1]}")
    return lines


def solution_text(p: Puzzle) -> str:
    """The step-by-step solution ending in ``The answer is X`` (the puzzle must be well posed)."""
    solved = solve(p)
    assert solved is not None, f"ill-posed puzzle {p}"
    # "- " keeps every copied word after a space, so it is the same token as in the question
    return "\n".join([*(f"- {line}" for line in explain(p)), f"The answer is {solved[1]}"])


# MetaMath's self-verification states the answer instead of asking for it
_ASK_TO_STATE = (
    ("How many {I} does {N} have now?", "{N} has {a} {I} now."),
    ("How many {I} does {N} have in the end?", "{N} has {a} {I} in the end."),
    ("How many {I} are left over?", "{a} {I} are left over."),
    ("How many {I} are not in a full group?", "{a} {I} are not in a full group."),
    ("What was the number?", "The number was {a}."),
    ("What number did {N} pick?", "{N} picked {a}."),
)


def _swap(text: str, source: int, answer: str = "") -> tuple[str, str] | None:
    """(text with its last sentence swapped between question (``source`` 0) and statement
    (1), the answer it states); ``answer`` fills a new statement."""
    text = " ".join(text.split())
    for pair in _ASK_TO_STATE:
        regex, names = _compile(pair[source].replace("{a}", "{v}"))
        for i in (m.start() for m in re.finditer(r"(?:^|(?<=[.?] ))", text)):
            found = regex.fullmatch(text, i)
            if found:
                slots = dict(zip(names, found.groups(), strict=True))
                value = slots.get("v", answer.strip())
                out = pair[1 - source].format(N=slots.get("N", ""), I=slots.get("I", ""), a=value)
                return (text[:i] + out).strip(), value
    return None


def to_statement(question: str, answer: str) -> str | None:
    """The question with its final question stated as a fact holding ``answer``."""
    swapped = _swap(question, 0, answer)
    return None if swapped is None else swapped[0]


def from_statement(statement: str) -> tuple[str, str] | None:
    """(the question again, the answer the statement gives)."""
    return _swap(statement, 1)


# ----- parsing ------------------------------------------------------------------------------
_NUM = r"(\d+|X)"
_SLOTS = {"N": r"([A-Z][a-z]+)", "O": r"([A-Z][a-z]+)", "I": r"([a-z]+)"}


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    """A regex for ``template`` and the slot name of each of its groups, in order."""
    pattern, names, pos = "", [], 0
    for found in re.finditer(r"\{(\w)\}", template):
        pattern += re.escape(template[pos : found.start()])
        slot = found.group(1)
        pattern += _SLOTS.get(slot, _NUM)
        names.append(slot)
        pos = found.end()
    pattern += re.escape(template[pos:])
    return re.compile(pattern + r"\s*"), names


def _table(templates: dict[str, tuple[str, str]]) -> list[tuple[str, int, re.Pattern, list[str]]]:
    return [
        (key, style, *_compile(t))
        for key, pair in templates.items()
        for style, t in enumerate(pair)
    ]


_START = {k: _table({k: v}) for k, v in START.items()}
_END = {k: _table({k: v}) for k, v in END.items()}
_STEPS = {k: _table(steps_for(k)) for k in KINDS}


@dataclass(frozen=True)
class Parsed:
    """A parsed question; ``build(x)`` is the puzzle with ``x`` in the ``X`` slot (if any)."""

    has_unknown: bool
    build: Callable[[int], Puzzle]


def _match(table, text: str, pos: int, slots: dict[str, str]):
    """(key, style, numbers, new pos) of the first template matching at ``pos``."""
    for key, style, regex, names in table:
        found = regex.match(text, pos)
        if not found:
            continue
        values = dict(zip(names, found.groups(), strict=True))
        words = {k: v for k, v in values.items() if k in _SLOTS}
        if any(slots.get(k, v) != v for k, v in words.items()):
            continue
        slots.update(words)
        return key, style, {k: v for k, v in values.items() if k not in _SLOTS}, found.end()
    return None


def parse(text: str) -> Parsed | None:
    """The puzzle a question describes, or None when it is not a question of this world."""
    text = " ".join(text.split())
    for kind in KINDS:
        parsed = _parse_kind(kind, text)
        if parsed is not None:
            return parsed
    return None


def _parse_kind(kind: str, text: str) -> Parsed | None:
    slots: dict[str, str] = {}
    start = _match(_START[kind], text, 0, slots)
    if start is None:
        return None
    _, style, numbers, pos = start
    raw_steps: list[tuple[str, str]] = []
    while True:
        end = _match(_END[kind], text, pos, dict(slots))
        if end is not None and end[3] == len(text):
            numbers |= end[2]
            break
        step = _match(_STEPS[kind], text, pos, slots)
        if step is None:
            return None
        raw_steps.append((step[0], step[2]["n"]))
        pos = step[3]
    if slots.get("N") not in NAMES or slots.get("I", ITEMS[0]) not in ITEMS:
        return None
    if kind == "pair" and slots.get("O") not in NAMES:
        return None
    if kind == "reverse" and "I" not in slots:
        slots["I"] = ITEMS[0]
    raw = [numbers.get("v", "0"), numbers.get("m", "0"), *(n for _, n in raw_steps)]
    if sum(r == "X" for r in raw) > 1:
        return None

    def build(x: int) -> Puzzle:
        vals = [x if r == "X" else int(r) for r in raw]
        return Puzzle(
            kind=kind,
            name=slots["N"],
            item=slots["I"],
            first=vals[0],
            steps=tuple(Step(op, n) for (op, _), n in zip(raw_steps, vals[2:], strict=True)),
            extra=vals[1],
            other=slots.get("O", ""),
            style=style,
        )

    return Parsed("X" in raw, build)
