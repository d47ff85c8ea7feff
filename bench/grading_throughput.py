"""Grading throughput of the shared `equiv` grader on MATH test (target: 5,000 answers < 10 s).

Three workloads over the 5,000 MATH test gold answers, each graded by SkyRay's `equiv` grader and,
as the baseline in the same run, by plain math-verify (parse + verify of both sides):

  gold      : "The answer is <gold>"                        (every row must grade correct)
  rewritten : the gold rewritten in an equivalent form (\\dfrac, x=..., decimals, spaces, order)
  solution  : the reference solution itself as the response (answer in its last \\boxed{})
  wrong     : another row's gold as the answer (mostly incorrect; the slow symbolic path)

Usage: python bench/grading_throughput.py [--data-dir DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rewrite(gold: str, rng: random.Random) -> str:
    """An equivalent way of writing ``gold`` (deterministic for the rng)."""
    s = gold
    if re.fullmatch(r"-?\d+", s) and rng.random() < 0.5:
        return f"{s}.0"
    m = re.fullmatch(r"(-?)\\frac\{(\d+)\}\{(\d+)\}", s)
    if m and int(m.group(3)) in (2, 4, 5, 8, 10, 20, 25):
        value = Fraction(int(m.group(2)), int(m.group(3)))
        return ("-" if m.group(1) else "") + str(float(value))
    s = s.replace("\\frac", "\\dfrac")
    if "," in s and not re.search(r"[\[\](){}]|\d,(?:\\!)? ?\d{3}", s):
        parts = [p.strip() for p in s.split(",")]
        s = ", ".join(reversed(parts))
    if rng.random() < 0.3:
        s = f"x = {s}" if "=" not in s else s
    return s.replace("+", " + ")


def timed(fn, pairs):
    from skyray.math.equiv import _parse_latex

    _parse_latex.cache_clear()  # every pass starts cold: no parse carried over between passes
    start = time.perf_counter()
    results = [fn(r, g) for r, g in pairs]
    return time.perf_counter() - start, sum(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("SKYRAY_DATA_DIR", "../shared/data"))
    parser.add_argument("--limit", type=int, default=0, help="grade only the first N rows")
    args = parser.parse_args()

    from math_verify import parse, verify

    from skyray.data.benchmarks import load_benchmark
    from skyray.math.grade import grade

    rows = load_benchmark("math-test", args.data_dir)
    if args.limit:
        rows = rows[: args.limit]
    rng = random.Random(0)
    workloads = {
        "gold": [(f"The answer is {r.answer}", r.answer) for r in rows],
        "rewritten": [(f"The answer is {rewrite(r.answer, rng)}", r.answer) for r in rows],
        "solution": [(r.solution, r.answer) for r in rows],
        # wrong answers (the next row's gold): nothing matches, so more rows reach sympy
        "wrong": [(f"The answer is {rows[i - 1].answer}", r.answer) for i, r in enumerate(rows)],
    }

    def skyray_equiv(response, gold):
        return grade(response, gold, "equiv").correct

    def baseline(response, gold):
        try:
            return verify(parse(f"${gold}$"), parse(response))
        except Exception:
            return False

    print(f"MATH test rows: {len(rows)}  (cpu count {os.cpu_count()})")
    print(f"{'workload':<10} {'grader':<12} {'seconds':>8} {'answers/s':>10} {'correct':>8}")
    for name, pairs in workloads.items():
        ours, ours_ok = timed(skyray_equiv, pairs)
        base, base_ok = timed(baseline, pairs)
        print(f"{name:<10} {'skyray-equiv':<12} {ours:8.2f} {len(pairs) / ours:10.0f} {ours_ok:8d}")
        print(f"{name:<10} {'math-verify':<12} {base:8.2f} {len(pairs) / base:10.0f} {base_ok:8d}")
        print(f"{name:<10} speed-up vs math-verify: {base / ours:.1f}x")
    total = sum(timed(skyray_equiv, p)[0] for p in workloads.values()) / len(workloads)
    print(
        f"mean seconds per 5,000-answer pass (skyray-equiv): {total * 5000 / len(rows):.2f} (target < 10 s)"
    )


if __name__ == "__main__":
    main()
