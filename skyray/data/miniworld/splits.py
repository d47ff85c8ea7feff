"""The world's two splits as registry rows: ``miniworld-train`` (seeds) and ``miniworld-test``.

Both are drawn deterministically from ``seed``: the train split outside the test region, the
test split inside it (:func:`~skyray.data.miniworld.gen.in_test_region`), each level equally
often and the kinds of a level in turn. Row ids name the split, level and position
(``miniworld-test:L3:0007``); ``solution`` is the step-by-step text the teacher would write.
"""

from __future__ import annotations

import functools
import random

from skyray.data.miniworld.gen import kinds_for, random_puzzle
from skyray.data.miniworld.text import render, solution_text
from skyray.data.miniworld.world import MAX_LEVEL, Puzzle, answer
from skyray.records import Problem

NUM_TRAIN_PER_LEVEL = 400
NUM_TEST_PER_LEVEL = 60


def as_problem(p: Puzzle, pid: str, source: str) -> Problem:
    return Problem(
        id=pid,
        problem=render(p),
        answer=str(answer(p)),
        solution=solution_text(p),
        level=p.level,
        subject=p.subject,
        source=source,
    )


@functools.cache
def split_puzzles(split: str, per_level: int, seed: int = 0) -> tuple[Puzzle, ...]:
    """``per_level`` distinct puzzles of each level 1..5 from ``split``'s region."""
    rng = random.Random(f"miniworld:{split}:{seed}")
    out: list[Puzzle] = []
    seen: set[str] = set()
    for level in range(1, MAX_LEVEL + 1):
        kinds = kinds_for(level)
        count = 0
        while count < per_level:
            p = random_puzzle(rng, kinds[count % len(kinds)], level, region=split)
            if render(p) not in seen:
                seen.add(render(p))
                out.append(p)
                count += 1
    return tuple(out)


def split_problems(split: str, per_level: int | None = None, seed: int = 0) -> list[Problem]:
    """The split as :class:`Problem` rows (``split`` is "train" or "test")."""
    if per_level is None:
        per_level = NUM_TEST_PER_LEVEL if split == "test" else NUM_TRAIN_PER_LEVEL
    source = f"miniworld-{split}"
    rows, index = [], {}
    for p in split_puzzles(split, per_level, seed):
        index[p.level] = index.get(p.level, 0) + 1
        rows.append(as_problem(p, f"{source}:L{p.level}:{index[p.level] - 1:04d}", source))
    return rows
