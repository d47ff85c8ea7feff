"""Precision and recall of the graders on SkyRay's labelled grading cases.

The cases (``tests/math/grading_cases.jsonl``: gold, answer, a careful grader's verdict, kind) are
written out as full responses in every ending real models use (``The answer is: X``, ``\\boxed{}``,
Minerva's "Final Answer: ... I hope it is correct.", ``Answer:``, bold, a closing sentence, one
box per item), then graded by ``equiv``, ``strict`` and, as a baseline, plain math-verify.

Usage: python bench/grading_accuracy.py [--misses N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", type=int, default=10, help="print the first N misses")
    args = parser.parse_args()

    from math_verify import parse, verify

    from skyray.math.grade import grade
    from tests.math.grading_cases import measure

    def math_verify(response: str, gold: str) -> bool:
        return bool(verify(parse(f"${gold}$"), parse(response)))

    graders = {
        "equiv": lambda r, g: grade(r, g, "equiv").correct,
        "strict": lambda r, g: grade(r, g, "strict").correct,
        "math-verify": math_verify,
    }
    print(f"{'grader':<12} {'responses':>9} {'precision':>9} {'recall':>7} {'cpu s':>6}")
    for name, fn in graders.items():
        start = time.process_time()
        result = measure(fn)
        cpu = time.process_time() - start
        print(
            f"{name:<12} {result['responses']:>9} {result['precision']:>9.4f} "
            f"{result['recall']:>7.4f} {cpu:>6.1f}"
        )
        if name == "equiv":
            worst = min(result["accuracy_per_ending"].items(), key=lambda kv: kv[1])
            print(f"{'':<12} lowest accuracy per ending: {worst[0]} {worst[1]:.4f}")
            for miss in result["misses"][: args.misses]:
                print(f"{'':<12} miss: {miss}")


if __name__ == "__main__":
    main()
