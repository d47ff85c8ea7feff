"""Core-set selection at the paper's scale: k-center over 10^5 and 10^6 synthetic 384-dim
embeddings (k = n / 2, the default fraction), against today's exact greedy in the same run.

The exact greedy costs n * k * d: it is measured here at a small n (``--baseline-n``) and its
time at the large sizes extrapolated by n * k (it would take hours); the partitioned greedy
(``skyray.synth.kcenter``) is measured at every size. At the baseline size both run, so the
ratio and the radius (exact vs partitioned, true coverage radius of each) are measured, not
extrapolated.

Usage: python bench/coreset_scale.py [--sizes 100000,1000000] [--baseline-n 5000] [--dim 384]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def embeddings(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 1,000 topics (like sentence embeddings of maths problems)."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((1000, dim)).astype(np.float32)
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):  # in blocks: no float64 n x d temporary
        stop = min(n, start + 100_000)
        block = topics[rng.integers(0, 1000, stop - start)]
        block += 0.6 * rng.standard_normal((stop - start, dim)).astype(np.float32)
        x[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return x


def baseline_greedy(x: np.ndarray, k: int) -> tuple[list[int], float]:
    """The exact greedy as main has it (skyray.synth.coreset before this change), verbatim."""

    def dist_to(x, point):
        return np.sqrt(np.maximum(((x - point) ** 2).sum(axis=1), 0.0))

    first = int(np.argmin(dist_to(x, x.mean(axis=0))))
    chosen, min_dist = [first], dist_to(x, x[first])
    for _ in range(k - 1):
        nxt = int(np.argmax(min_dist))
        chosen.append(nxt)
        min_dist = np.minimum(min_dist, dist_to(x, x[nxt]))
    return chosen, float(min_dist.max())


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> int:
    from skyray.synth.coreset import coverage_radius
    from skyray.synth.kcenter import k_center_partitioned

    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--baseline-n", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--fraction", type=float, default=0.5)
    parser.add_argument("--cell-size", type=int, default=1024)
    args = parser.parse_args()

    n0 = args.baseline_n
    k0 = int(args.fraction * n0)
    x = embeddings(n0, args.dim)
    (base_chosen, base_r), base_s = timed(baseline_greedy, x, k0)
    (new_chosen, new_r), new_s = timed(k_center_partitioned, x, k0, args.cell_size)
    true_new = coverage_radius(x, new_chosen)
    print(
        f"baseline n={n0:,} k={k0:,} d={args.dim}: exact greedy {base_s:.2f} s, radius {base_r:.4f}"
    )
    print(
        f"  partitioned greedy {new_s:.2f} s (x{base_s / new_s:.1f}), reported radius {new_r:.4f}, "
        f"true radius {true_new:.4f} ({true_new / base_r:.3f} x exact)"
    )
    per_nk = base_s / (n0 * k0)
    print(f"{'n':>10} {'k':>9} {'exact (extrapolated)':>22} {'partitioned':>12} {'speed-up':>9}")
    for n in (int(s) for s in args.sizes.split(",")):
        k = int(args.fraction * n)
        x = embeddings(n, args.dim, seed=1)
        (chosen, radius), seconds = timed(k_center_partitioned, x, k, args.cell_size)
        assert len(set(chosen)) == k
        exact = per_nk * n * k
        print(
            f"{n:>10,} {k:>9,} {exact:>20,.0f} s {seconds:>10.1f} s {exact / seconds:>8.0f}x"
            f"   (radius <= {radius:.4f})"
        )
        del x
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
