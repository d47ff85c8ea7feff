"""Which of the paper's claims held on a miniature-world run: a short Markdown summary.

Inputs are the artifacts the stages wrote (evaluation ``report.json`` files, the leak audit, a
self-compare report); every claim is stated with its numbers and 95% Wilson intervals:

1. *Quantity breeds quality*: held-out accuracy rises with the synthetic data size, and the
   interval at the largest size lies above the one at the smallest;
2. *Hard problems in stage 2 lift the hard levels*: levels 4-5 accuracy of the stage-2 model
   above the stage-1 model of the same size, the intervals apart;
3. *30-gram decontamination removes the leaks without hurting*: every planted leak dropped and
   listed by benchmark item, no clean row dropped;
4. *Self-compare fixes the model's own errors* (when that stage ran): accuracy after the round
   above accuracy before it, the intervals apart.

A figure that rose with overlapping intervals is "not shown": the run cannot tell it from noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skyray.eval.score import wilson_interval

HARD_LEVELS = ("4", "5")


@dataclass
class Claim:
    title: str
    held: bool | None  # None: not tested on this run
    evidence: str  # the numbers, one or a few sentences
    verdict: str = ""  # the word for ``held``; default: held / did not hold / not tested

    def markdown(self) -> str:
        default = {True: "held", False: "did not hold", None: "not tested"}[self.held]
        return f"- **{self.title}: {self.verdict or default}.** {self.evidence}"


def cell_of(report: dict[str, Any], benchmark: str, grader: str, levels=None) -> tuple[int, int]:
    """(correct, n) of one benchmark in an eval report.json, over ``levels`` (None = all)."""
    summary = report["benchmarks"][benchmark]["graders"][grader]
    if levels is None:
        return int(summary["correct"]), int(summary["n"])
    cells = [summary["by_level"][lv] for lv in levels if lv in summary["by_level"]]
    return sum(int(c["correct"]) for c in cells), sum(int(c["n"]) for c in cells)


def pct(correct: int, n: int) -> str:
    low, high = wilson_interval(correct, n)
    acc = correct / n if n else 0.0
    return f"{100 * acc:.1f}% [{100 * low:.1f}, {100 * high:.1f}] ({correct}/{n})"


def scaling_claim(points: list[tuple[int, tuple[int, int]]]) -> Claim:
    """``points``: (data size, (correct, n)) for each size of the sweep."""
    points = sorted(points)
    accs = [c / n if n else 0.0 for _, (c, n) in points]
    monotone = all(b >= a for a, b in zip(accs, accs[1:], strict=False))
    (_, first), (_, last) = points[0], points[-1]
    separated = wilson_interval(*last)[0] > wilson_interval(*first)[1]
    steps = "; ".join(f"{size:,} samples: {pct(*cn)}" for size, cn in points)
    how = "rose monotonically" if monotone else "did not rise monotonically"
    sep = "lies above" if separated else "overlaps"
    return Claim(
        "More synthetic data, better accuracy",
        len(points) >= 2 and separated,
        f"Held-out accuracy {how}: {steps}. The interval at the largest size {sep} the "
        "one at the smallest.",
    )


def _rise(before: tuple[int, int], after: tuple[int, int]) -> tuple[bool, str, str]:
    """(held, verdict, note) of "after is above before": held only with the intervals apart."""
    rose = after[0] / max(after[1], 1) > before[0] / max(before[1], 1)
    apart = wilson_interval(*after)[0] > wilson_interval(*before)[1]
    if apart:
        return True, "", " (the intervals are apart)."
    return False, "not shown" if rose else "", " (the intervals overlap)."


def stage2_claim(size: int, before: tuple[int, int], after: tuple[int, int]) -> Claim:
    held, verdict, note = _rise(before, after)
    return Claim(
        "Stage 2 on hard problems lifts levels 4-5",
        held,
        f"Levels 4-5 at {size:,} samples: stage 1 {pct(*before)}, after stage 2 "
        f"{pct(*after)}{note}",
        verdict,
    )


def leak_claim(audit: dict[str, Any], max_listed: int = 20) -> Claim:
    """From :meth:`skyray.testing.miniworld.leaks.LeakAudit.as_dict`."""
    planted, counts = audit["leaks"]["planted"], audit["counts"]
    items = sorted(set(planted.values()))
    listed = ", ".join(f"`{i}`" for i in items[:max_listed])
    more = f" and {len(items) - max_listed} more" if len(items) > max_listed else ""

    def frac(name: str) -> str:
        return f"{counts[name]['dropped']} of {counts[name]['rows']}"

    return Claim(
        "30-gram decontamination removes the leaks without hurting",
        bool(audit["ok"]),
        f"The teacher planted {len(planted)} verbatim test problems ({len(items)} distinct "
        f"items: {listed}{more}); decontamination dropped {frac('planted')} of them and "
        f"{frac('clean')} clean rows. Of rows built on a leak it caught "
        f"{frac('derived')} descendants (an added step, other names) and {frac('paraphrased')}"
        " rephrasings: n-gram matching does not see a leak in other words.",
    )


def selfcompare_claim(before: tuple[int, int] | None, after: tuple[int, int] | None) -> Claim:
    if before is None or after is None:
        return Claim("Self-compare fixes the model's own errors", None, "The stage did not run.")
    held, verdict, note = _rise(before, after)
    return Claim(
        "Self-compare fixes the model's own errors",
        held,
        f"Accuracy before the round {pct(*before)}, after {pct(*after)}{note}",
        verdict,
    )


def render_summary(claims: list[Claim], facts: list[str]) -> str:
    """The Markdown summary: the claims, then the run's facts (sizes, times, paths)."""
    lines = ["# What this run shows", "", *[c.markdown() for c in claims], ""]
    if facts:
        lines += ["## The run", "", *[f"- {f}" for f in facts], ""]
    return "\n".join(lines)
