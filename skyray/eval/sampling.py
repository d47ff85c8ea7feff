"""maj@k and pass@k over k sampled responses per problem.

``pass@k`` uses the unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)`` for
``n`` samples of which ``c`` are correct; ``maj@k`` grades the most frequent extracted answer
(grouped by the grader's own notion of "same answer").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from math import comb
from typing import Any

from skyray.eval.score import wilson_interval
from skyray.math import grade as grading
from skyray.math.equiv import DEFAULT_TIMEOUT_S, is_equiv, majority_answer
from skyray.math.normalize import strict_normalize


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of ``k`` of the ``n`` samples is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def strict_majority(answers: list[str | None]) -> str | None:
    """Most frequent answer by strict-normalised string (first seen wins ties)."""
    keyed = [(strict_normalize(a), a) for a in answers if a is not None]
    if not keyed:
        return None
    counts = Counter(key for key, _ in keyed)
    best = max(counts.values())
    return next(a for key, a in keyed if counts[key] == best)


def majority_correct(
    answers: list[str | None], gold: str, grader: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> bool:
    if grader == "strict":
        return grading.strict_equal(strict_majority(answers), gold)
    return is_equiv(majority_answer(answers, timeout_s), gold, timeout_s)


def sampled_metrics(
    rows: Iterable[dict[str, Any]], grader: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """pass@1, pass@k and maj@k for one grader over rows with ``id``, ``sample_index``,
    ``gold``, ``extracted_<grader>`` and ``correct_<grader>``."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["id"]].append(row)
    if not groups:
        return {}
    k = min(len(g) for g in groups.values())
    pass1 = passk = 0.0
    maj_right = 0
    for group in groups.values():
        group.sort(key=lambda r: r["sample_index"])
        c = sum(bool(r[f"correct_{grader}"]) for r in group)
        pass1 += pass_at_k(len(group), c, 1)
        passk += pass_at_k(len(group), c, k)
        answers = [r[f"extracted_{grader}"] for r in group[:k]]
        maj_right += majority_correct(answers, str(group[0]["gold"]), grader, timeout_s)
    n = len(groups)
    low, high = wilson_interval(maj_right, n)
    return {
        "k": k,
        "n": n,
        "pass@1": pass1 / n,
        f"pass@{k}": passk / n,
        f"maj@{k}": maj_right / n,
        f"maj@{k}_ci95": [low, high],
    }
