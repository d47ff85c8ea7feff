"""k-center greedy that scales to the paper's pool sizes (10^5-10^6 problems, k ~ n/2).

The exact greedy (:func:`skyray.synth.coreset.k_center_greedy`) updates every point's distance
after each pick: n * k * d operations, ~10^14 at n = 10^6, k = 5 * 10^5, d = 384. Above
``exact_max_points`` SkyRay runs the same greedy in a *partition metric* instead:

1. split the pool into balanced cells of at most ``cell_size`` points by recursive median cuts
   along random directions, one per depth (O(n d log(n / cell_size)));
2. run Gonzalez's farthest-point greedy with the distance d'(p, q) = ||p - q|| inside a cell and
   infinity across cells: a heap over cells picks the globally farthest point, and only that
   cell's distances are updated, in float32 (cell_size * d per pick, so n-independent).

Bound: d' is a metric (with infinite distances allowed), so the greedy's 2-approximation holds
for it: the reported radius R' (largest d'-distance of any point to its nearest chosen centre)
satisfies R' <= 2 * OPT'(k), the best radius of k centres when each point must be covered inside
its own cell, and every point is within R' of a chosen centre (cross-cell centres only help), so
the true coverage radius is <= R'. Every cell gets a centre first (k >= number of cells is kept
by sizing cells to at most k / 2 of them). With one cell it is exactly the greedy.
"""

from __future__ import annotations

import heapq
from contextlib import nullcontext

import numpy as np


def _one_blas_thread():
    """Small matrix-vector products run fastest on one BLAS thread (a multi-threaded BLAS on a
    busy node is ~20x slower for them); threadpoolctl comes with scikit-learn."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def partition_cells(x: np.ndarray, cell_size: int, seed: int = 0) -> list[np.ndarray]:
    """Row indices of balanced cells (each <= ``cell_size``), by median cuts along one random
    direction per depth (projections computed once: n x depth floats, no copy of ``x``);
    deterministic for ``seed``."""
    n = len(x)
    depth = max(1, int(np.ceil(np.log2(max(2, n / max(1, cell_size))))) + 1)
    rng = np.random.default_rng(seed)
    proj = x @ rng.standard_normal((x.shape[1], depth)).astype(x.dtype)
    cells, stack = [], [(np.arange(n), 0)]
    while stack:
        idx, level = stack.pop()
        if len(idx) <= cell_size:
            cells.append(np.sort(idx))
            continue
        order = np.argsort(proj[idx, level % depth], kind="stable")
        half = len(idx) // 2
        stack += [(idx[order[half:]], level + 1), (idx[order[:half]], level + 1)]
    return sorted(cells, key=lambda c: int(c[0]))


class _Cell:
    """One cell's points (contiguous float32), squared norms and d' distances to its centres."""

    def __init__(self, x: np.ndarray, members: np.ndarray) -> None:
        self.members = members
        self.x = np.ascontiguousarray(x[members], dtype=np.float32)
        self.sq = np.einsum("ij,ij->i", self.x, self.x)
        self.dist = np.full(len(members), np.inf, dtype=np.float32)

    def first(self) -> int:
        """Local index of the point nearest the cell's mean (as the exact greedy starts)."""
        return int(np.argmin(self._dist_to(self.x.mean(axis=0))))

    def add(self, local: int) -> None:
        np.minimum(self.dist, self._dist_to(self.x[local]), out=self.dist)
        self.dist[local] = 0.0

    def farthest(self) -> tuple[float, int]:
        local = int(np.argmax(self.dist))
        return float(self.dist[local]), local

    def _dist_to(self, point: np.ndarray) -> np.ndarray:
        sq = self.sq - 2.0 * (self.x @ point) + float(point @ point)
        return np.sqrt(np.maximum(sq, 0.0, out=sq), out=sq)


def k_center_partitioned(
    x: np.ndarray, k: int, cell_size: int = 1024, seed: int = 0
) -> tuple[list[int], float]:
    """(chosen row indices in selection order, radius R' in the partition metric)."""
    n = len(x)
    if k <= 0 or n == 0:
        return [], float("inf") if n else 0.0
    k = min(k, n)
    cell_size = max(cell_size, -(-2 * n // k))  # at most k / 2 cells: each gets a first centre
    cells = [_Cell(x, m) for m in partition_cells(x, cell_size, seed)]
    with _one_blas_thread():
        return _greedy(cells, k)


def _greedy(cells: list[_Cell], k: int) -> tuple[list[int], float]:
    """Gonzalez's greedy in the partition metric: a heap holds each cell's farthest point."""
    chosen: list[int] = []
    heap: list[tuple[float, int, int]] = []  # (-farthest distance, cell, local index)
    for c, cell in enumerate(cells):
        local = cell.first()
        cell.add(local)
        chosen.append(int(cell.members[local]))
        far, far_local = cell.farthest()
        heap.append((-far, c, far_local))
    heapq.heapify(heap)
    while len(chosen) < k:
        _, c, local = heapq.heappop(heap)
        cell = cells[c]
        cell.add(local)
        chosen.append(int(cell.members[local]))
        far, far_local = cell.farthest()
        heapq.heappush(heap, (-far, c, far_local))
    return chosen, float(-heap[0][0]) if heap else 0.0


def partition_radius(x: np.ndarray, chosen: list[int], cell_size: int, seed: int = 0) -> float:
    """Radius of ``chosen`` in the same partition metric (to compare with a random subset);
    inf when a cell holds none of them."""
    k = max(1, len(chosen))
    cell_size = max(cell_size, -(-2 * len(x) // k))
    picked = np.zeros(len(x), dtype=bool)
    picked[np.asarray(chosen, dtype=np.int64)] = True
    radius = 0.0
    for members in partition_cells(x, cell_size, seed):
        cell = _Cell(x, members)
        centres = np.flatnonzero(picked[members])
        if len(centres) == 0:
            return float("inf")
        for local in centres:
            cell.add(int(local))
        radius = max(radius, cell.farthest()[0])
    return radius
