"""Random puzzles: fresh ones of a kind and level, and the edits the teacher makes to them.

Everything takes a ``random.Random`` so callers decide determinism. A puzzle belongs to the
held-out *test region* when the hash of its solution's numbers falls in a fixed share
(:func:`in_test_region`): the test split is drawn from that region and every other puzzle
(train split, the teacher's new problems) is *clean* (:func:`is_clean`): outside it, and
sharing no 30-gram with a test item (:mod:`skyray.data.miniworld.guard`).
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import replace

from skyray.data.miniworld.world import (
    ITEMS,
    KINDS,
    MAX_LEVEL,
    MAX_VALUE,
    NAMES,
    Puzzle,
    Step,
    answer,
    apply,
    solve,
)

TEST_SHARE = 8  # one puzzle in TEST_SHARE (by solution hash) is reserved for the test split
MIN_STEPS = {"story": 1, "reverse": 1, "groups": 0, "pair": 0}
OFFSET = {"story": 0, "reverse": 0, "groups": 1, "pair": 2}
START_MAX = 10


def kinds_for(level: int) -> list[str]:
    return [k for k in KINDS if MIN_STEPS[k] <= level - OFFSET[k]]


def in_test_region(p: Puzzle) -> bool:
    solved = solve(p)
    assert solved is not None, "only well-posed puzzles have a region"
    # the numbers alone: decontamination's tokens drop the operators (ASCII punctuation), so
    # "9 - 5 = 4" and "9 % 5 = 4" are the same text to it and must share a region
    numbers = re.findall(r"\d+", " ".join(solved[0]))
    digest = hashlib.sha256(" ".join(numbers).encode()).digest()
    return digest[0] % TEST_SHARE == 0


def random_step(rng: random.Random, value: int) -> Step | None:
    """A step that keeps ``value`` a whole number in range, or None after a few tries."""
    for _ in range(20):
        op = rng.choices("+-*/", weights=(4, 4, 1.5, 1.5))[0]
        n = rng.randint(2, 6) if op in "+-" else rng.randint(2, 3)
        if apply(value, Step(op, n)) is not None:
            return Step(op, n)
    return None


def _chain(rng: random.Random, value: int, count: int) -> tuple[Step, ...] | None:
    steps = []
    for _ in range(count):
        step = random_step(rng, value)
        if step is None:
            return None
        steps.append(step)
        value = apply(value, step)  # type: ignore[assignment]
    return tuple(steps)


def is_clean(p: Puzzle) -> bool:
    """Well posed, outside the test region, and no 30-gram shared with a test item."""
    from skyray.data.miniworld.guard import overlaps_test
    from skyray.data.miniworld.text import render, solution_text

    if solve(p) is None or in_test_region(p):
        return False
    return not overlaps_test(render(p), solution_text(p))


def random_puzzle(rng: random.Random, kind: str, level: int, region: str = "train") -> Puzzle:
    """A well-posed puzzle of ``kind`` and ``level``: a clean one (``region`` "train", see
    :func:`is_clean`) or one of the test region ("test")."""
    if kind not in kinds_for(level):
        raise ValueError(f"no {kind} puzzle has level {level}")
    while True:
        p = _draw(rng, kind, level - OFFSET[kind])
        if p is None or solve(p) is None:
            continue
        if (region == "test" and in_test_region(p)) or (region == "train" and is_clean(p)):
            return p


def _draw(rng: random.Random, kind: str, num_steps: int) -> Puzzle | None:
    name, other = rng.sample(NAMES, 2)
    item, style = rng.choice(ITEMS), rng.randint(0, 1)
    if kind == "pair":
        diff = rng.randint(1, 6)
        small = rng.randint(1, max(1, (MAX_VALUE - diff) // 2))
        first, extra, value = 2 * small + diff, diff, small + diff
    else:
        first, extra = rng.randint(2, START_MAX), rng.randint(3, 6) if kind == "groups" else 0
        value = first
    steps = _chain(rng, value, num_steps)
    if steps is None:
        return None
    if kind == "reverse":  # `first` is the unknown start; the question gives the result
        for step in steps:
            value = apply(value, step)  # type: ignore[assignment]
        first, item = value, ITEMS[0]
    return Puzzle(
        kind=kind,
        name=name,
        item=item,
        first=first,
        steps=steps,
        extra=extra,
        other=other if kind == "pair" else "",
        style=style,
    )


def renumber(rng: random.Random, p: Puzzle) -> Puzzle:
    """A new puzzle of the same kind and level (new numbers, names and steps)."""
    return random_puzzle(rng, p.kind, p.level)


def recast(rng: random.Random, p: Puzzle) -> Puzzle:
    """The same numbers with another person and object. A recast of a test problem (a planted
    leak) stays in the test region: after a few tries it is returned anyway, as a leak derived
    from that problem."""
    q = p
    for _ in range(50):
        name, other = rng.sample(NAMES, 2)
        item = ITEMS[0] if p.kind == "reverse" else rng.choice(ITEMS)
        q = replace(p, name=name, item=item, other=other if p.kind == "pair" else "")
        if (q.name, q.item) != (p.name, p.item) and is_clean(q):
            return q
    return q


def add_step(rng: random.Random, p: Puzzle) -> Puzzle | None:
    """``p`` with one more step (one more solution line), or None at MAX_LEVEL."""
    if p.level >= MAX_LEVEL:
        return None
    for _ in range(50):
        if p.kind == "reverse":
            start = answer(p)
            assert start is not None
            steps = p.steps + (random_step(rng, p.first) or Step("+", 2),)
            value = start
            for step in steps:
                value = apply(value, step)  # type: ignore[assignment]
                if value is None:
                    break
            if value is None:
                continue
            q = replace(p, steps=steps, first=value)
        else:
            solved = solve(p)
            assert solved is not None
            # the amount before the groups' remainder step, or the final amount
            last = _amount_before_end(p)
            step = random_step(rng, last)
            if step is None:
                continue
            q = p.with_steps(p.steps + (step,))
        if is_clean(q):
            return q
    return None


def _amount_before_end(p: Puzzle) -> int:
    value = p.first if p.kind != "pair" else (p.first + p.extra) // 2
    for step in p.steps:
        value = apply(value, step)  # type: ignore[assignment]
    return value


def make_flawed(rng: random.Random, p: Puzzle) -> Puzzle:
    """``p`` with one step that takes away more than there is (not well posed)."""
    if p.kind == "reverse" or not p.steps:  # undoing it overflows / nothing is left
        return p.with_steps((*p.steps, Step("-", MAX_VALUE + rng.randint(1, 9))))
    i = rng.randrange(len(p.steps))
    value = _amount_before_end(p.with_steps(p.steps[:i]))
    steps = list(p.steps)
    steps[i] = Step("-", value + rng.randint(1, 5))
    return p.with_steps(tuple(steps))


def repair(rng: random.Random, p: Puzzle) -> Puzzle:
    """A well-posed puzzle keeping ``p``'s start, people and object, and its steps up to the
    first one that fails (the rest are drawn again)."""
    for _ in range(50):
        keep: list[Step] = []
        value = p.first if p.kind != "pair" else (p.first + p.extra) // 2
        for step in p.steps:
            out = apply(value, step) if p.kind != "reverse" else None
            if out is None:
                break
            keep.append(step)
            value = out
        rest = _chain(rng, value, len(p.steps) - len(keep))
        if p.kind == "reverse":
            q = random_puzzle(rng, "reverse", p.level)
            return replace(q, name=p.name, style=p.style)
        if rest is not None:
            q = p.with_steps(tuple(keep) + rest)
            if is_clean(q):
                return q
    return renumber(rng, p)
