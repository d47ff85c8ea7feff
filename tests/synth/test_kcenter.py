"""The partitioned k-center greedy (large pools): the exact greedy's selection on one cell, the
stated bound's certificate on many, a true radius never above the reported one, and the switch
in select_coreset."""

from __future__ import annotations

import numpy as np

from skyray.synth.coreset import coverage_radius, k_center_greedy
from skyray.synth.kcenter import k_center_partitioned, partition_cells


def unit_points(n: int, d: int = 32, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, d))
    x = centres[rng.integers(0, clusters, n)] + 0.4 * rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_one_cell_is_the_exact_greedy():
    x = unit_points(1500)
    assert k_center_partitioned(x, 60, cell_size=4096)[0] == k_center_greedy(x, 60)[0]


def test_cells_are_balanced_and_cover_the_pool_once():
    x = unit_points(5000)
    cells = partition_cells(x, 300)
    sizes = [len(c) for c in cells]
    assert max(sizes) <= 300 and min(sizes) >= 150
    assert np.array_equal(np.sort(np.concatenate(cells)), np.arange(5000))


def test_partitioned_radius_bounds_the_true_radius_with_its_certificate():
    """R' >= the true coverage radius, and the chosen centres of each cell are pairwise >= R'
    apart (the greedy's certificate that R' <= 2 * OPT in the partition metric)."""
    x = unit_points(4000)
    chosen, radius = k_center_partitioned(x, 400, cell_size=256)
    assert len(set(chosen)) == 400
    assert coverage_radius(x, chosen) <= radius + 1e-5
    k = max(256, -(-2 * 4000 // 400))
    where = {int(i): c for c, cell in enumerate(partition_cells(x, k)) for i in cell}
    for c in set(where.values()):
        mine = [i for i in chosen if where[i] == c]
        pts = x[mine].astype(np.float64)
        d = np.sqrt(np.maximum(((pts[:, None] - pts[None]) ** 2).sum(-1), 0))
        np.fill_diagonal(d, np.inf)
        assert d.min() >= radius - 1e-4
    exact = k_center_greedy(x, 400)[1]
    assert radius <= 2.0 * exact  # in practice close to the exact greedy on clustered data


def test_select_coreset_switches_above_exact_max_points():
    from skyray.records import Problem
    from skyray.synth.config import CoresetConfig
    from skyray.synth.coreset import select_coreset

    problems = [
        Problem(id=f"q{i}", problem=f"{t} question {i} on {t} {i % 7}", answer="1", subject=t)
        for i, t in enumerate(["geometry", "algebra", "counting", "number theory"] * 100)
    ]
    small = CoresetConfig(size=40, embedder="hash", use_ray=False)
    _, exact = select_coreset(problems, small)
    big = CoresetConfig(size=40, embedder="hash", use_ray=False, exact_max_points=100, cell_size=64)
    selected, report = select_coreset(problems, big)
    assert exact["method"] == "k-center-greedy" and report["method"] == "k-center-partitioned"
    assert len({p.id for p in selected}) == 40
    assert report["random_subset_radius"] is None or (
        report["coverage_radius"] <= report["random_subset_radius"]
    )
