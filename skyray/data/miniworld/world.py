"""The miniature world: short math word problems whose level is the number of solution steps.

A :class:`Puzzle` is a running amount changed by a chain of :class:`Step` operations, told in one
of four ways (the MATH-like ``subject``):

- ``story`` (Arithmetic): start with an amount, apply the steps, ask for the result;
- ``reverse`` (Algebra): a number is picked, the steps are applied, the result is given; the
  solution undoes the steps from the last to the first;
- ``groups`` (Number Theory): a story whose amount is then packed into bags; ask the remainder;
- ``pair`` (Systems): two amounts given by their sum and difference, then a story on the larger.

:func:`solve` gives one arithmetic line per step (``12 - 3 = 9.``), so level = steps; the
written solution (:func:`skyray.data.miniworld.text.solution_text`) puts each step's
sentence before its line.
Every amount stays a whole number in ``1..MAX_VALUE``; :func:`solve` returns None otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

KINDS = ("story", "reverse", "groups", "pair")
SUBJECTS = {
    "story": "Arithmetic",
    "reverse": "Algebra",
    "groups": "Number Theory",
    "pair": "Systems",
}
MAX_LEVEL = 5
MAX_VALUE = 12  # small numbers: a model of ~1M parameters learns the sums in minutes on a CPU
NAMES = ("Ava", "Ben", "Cal", "Dan", "Eve", "Fay", "Gus", "Ivy")
ITEMS = ("coins", "pens", "cards", "shells", "stamps", "beads", "books", "eggs")


@dataclass(frozen=True)
class Step:
    op: str  # "+", "-", "*" or "/"
    n: int


@dataclass(frozen=True)
class Puzzle:
    kind: str  # one of KINDS
    name: str
    item: str
    first: int  # story/groups: the start amount; reverse: the final result; pair: the total
    steps: tuple[Step, ...]
    extra: int = 0  # groups: the bag size; pair: the difference
    other: str = ""  # pair: the second person
    style: int = 0  # wording variant (0 or 1); rephrasing flips it

    @property
    def subject(self) -> str:
        return SUBJECTS[self.kind]

    @property
    def level(self) -> int:
        return len(self.steps) + {"story": 0, "reverse": 0, "groups": 1, "pair": 2}[self.kind]

    def with_steps(self, steps: tuple[Step, ...]) -> Puzzle:
        return replace(self, steps=steps)


def apply(value: int, step: Step) -> int | None:
    """``value op n``, or None when it leaves the whole numbers 1..MAX_VALUE."""
    if step.op == "+":
        out = value + step.n
    elif step.op == "-":
        out = value - step.n
    elif step.op == "*":
        out = value * step.n
    elif step.op == "/":
        if step.n < 1 or value % step.n:
            return None
        out = value // step.n
    else:
        raise ValueError(f"unknown op {step.op!r}")
    return out if 1 <= out <= MAX_VALUE else None


INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}


def solve(p: Puzzle) -> tuple[list[str], int] | None:
    """(solution lines, answer), or None when the puzzle is not well posed."""
    lines: list[str] = []
    steps = p.steps
    if p.kind == "reverse":
        steps = tuple(Step(INVERSE[s.op], s.n) for s in reversed(p.steps))
    value = p.first
    if not 1 <= value <= MAX_VALUE:
        return None
    if p.kind == "pair":
        total, diff = p.first, p.extra
        if diff < 1 or (total + diff) % 2 or total - diff < 2:
            return None
        value = (total + diff) // 2
        lines += [f"{total} + {diff} = {total + diff}.", f"{total + diff} / 2 = {value}."]
    for step in steps:
        out = apply(value, step)
        if out is None:
            return None
        lines.append(f"{value} {step.op} {step.n} = {out}.")
        value = out
    if p.kind == "reverse" and not _forward_ok(value, p.steps):
        return None
    if p.kind == "groups":
        if p.extra < 2:  # also keeps `%` away from 0
            return None
        lines.append(f"{value} % {p.extra} = {value % p.extra}.")
        value = value % p.extra
    return lines, value


def _forward_ok(value: int, steps: tuple[Step, ...]) -> bool:
    for step in steps:
        value = apply(value, step)  # type: ignore[assignment]
        if value is None:
            return False
    return True


def answer(p: Puzzle) -> int | None:
    solved = solve(p)
    return None if solved is None else solved[1]
