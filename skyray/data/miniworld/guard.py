"""Keep clean problems clean: no train-split or teacher-made problem may share a 30-gram (or
contain a whole short text) with a test item, the rule curation's decontamination applies
(:mod:`skyray.curate.decontam`; a test checks both agree on the world's texts).

Solutions repeat each step's sentence, so two different problems about the same person with
the same numbers can share a 30-token run; such a problem is not a leak, but decontamination
would rightly drop it, so the world never makes one (outside the teacher's planted leaks).
This is the same rule in plain Python over the world's ASCII texts: lower case, every
non-alphanumeric character a separator.
"""

from __future__ import annotations

import functools
import re

NGRAM, MIN_TOKENS = 30, 8  # curation's defaults (skyray.curate.config.DecontamConfig)
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


@functools.cache
def _index() -> tuple[set, dict[int, set], set]:
    """(30-grams of long test texts, short texts by length, texts under MIN_TOKENS)."""
    from skyray.data.miniworld.splits import split_problems

    grams: set = set()
    short: dict[int, set] = {}
    tiny: set = set()
    for p in split_problems("test"):
        for text in (p.problem, p.solution):
            toks = tokens(text)
            if len(toks) >= NGRAM:
                grams.update(toks[i : i + NGRAM] for i in range(len(toks) - NGRAM + 1))
            elif len(toks) >= MIN_TOKENS:
                short.setdefault(len(toks), set()).add(toks)
            else:
                tiny.add(toks)
    return grams, short, tiny


def flagged(text: str) -> bool:
    """Whether decontamination against the test split would flag ``text``."""
    grams, short, tiny = _index()
    toks = tokens(text)
    if toks in tiny:
        return True
    if any(toks[i : i + NGRAM] in grams for i in range(len(toks) - NGRAM + 1)):
        return True
    return any(
        toks[i : i + size] in texts
        for size, texts in short.items()
        for i in range(len(toks) - size + 1)
    )


def overlaps_test(question: str, solution: str) -> bool:
    return flagged(question) or flagged(solution)
