"""Near-dedup clustering: scipy's connected components (what curation uses) versus the
hand-written min-label propagation it replaced (the baseline, measured in the same run).

Graphs shaped like near-dedup output: ``--nodes`` rows that have a confirmed partner, joined by
``--edges`` confirmed pairs, mostly inside small clusters plus a few long chains (the worst case
for label propagation). Both must give the same labels (smallest node of each component).

Usage: python bench/dedup_components.py [--nodes N] [--edges M] [--repeats R]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def propagation(num_nodes: int, edges: np.ndarray) -> np.ndarray:
    """The replaced implementation: min-label propagation with pointer jumping."""
    labels = np.arange(num_nodes, dtype=np.int64)
    if not len(edges):
        return labels
    u, v = edges[:, 0], edges[:, 1]
    while True:
        low = np.minimum(labels[u], labels[v])
        before = labels.copy()
        np.minimum.at(labels, u, low)
        np.minimum.at(labels, v, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def graph(num_nodes: int, num_edges: int, seed: int = 0) -> np.ndarray:
    """Random pairs inside clusters of about four rows, plus paths of 2,000 rows through
    shuffled nodes (a tenth of the edges)."""
    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, max(1, num_nodes // 4), num_nodes)
    members = np.argsort(cluster, kind="stable")
    starts = np.searchsorted(cluster[members], np.arange(cluster.max() + 2))
    a = rng.integers(0, num_nodes, num_edges - num_edges // 10)
    c = cluster[a]
    size = starts[c + 1] - starts[c]
    b = members[starts[c] + rng.integers(0, 1 << 30, len(a)) % size]
    path = rng.permutation(num_nodes)[: num_edges // 10 + 1]
    cut = np.arange(len(path) - 1) % 2000 != 1999  # break the path every 2,000 rows
    edges = np.concatenate([np.stack([a, b], 1), np.stack([path[:-1], path[1:]], 1)[cut]])
    edges = edges[edges[:, 0] != edges[:, 1]]
    return np.unique(np.sort(edges, axis=1), axis=0)


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    from skyray.curate.dedup import components

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    edges = graph(args.nodes, args.edges)
    assert np.array_equal(components(args.nodes, edges), propagation(args.nodes, edges))
    components(10, edges[:0])  # import scipy before timing
    base = best_time(lambda: propagation(args.nodes, edges), args.repeats)
    new = best_time(lambda: components(args.nodes, edges), args.repeats)
    print(f"{args.nodes} nodes, {len(edges)} edges, best of {args.repeats}; labels identical")
    print(f"  baseline (hand-written propagation): {base * 1e3:8.1f} ms")
    print(f"  scipy connected_components:          {new * 1e3:8.1f} ms   ({base / new:.2f}x)")


if __name__ == "__main__":
    main()
