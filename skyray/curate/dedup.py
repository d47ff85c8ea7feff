"""Pass 2: exact and near-duplicate decisions over the compact features of pass 1.

Nothing here sees the full rows. Exact dedup shards rows by their text hash; near dedup shards
the LSH bands (each shard reads only its band columns), turns shared buckets into candidate
pairs, confirms each pair by the estimated Jaccard of the two signatures (only the signatures of
rows that have a candidate are read), and clusters the confirmed pairs by connected components.
In every group the row with the smallest input position is kept, so the result does not depend
on chunking or on the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skyray.curate.annotate import band_column
from skyray.curate.config import CurateConfig, NearDedupConfig


@dataclass
class Decisions:
    """Rows dropped by pass 2, sorted by position."""

    pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    reasons: Any = field(default_factory=list)  # str per row (an Arrow array once merged)
    details: Any = field(default_factory=list)

    @staticmethod
    def merge(parts: list[Decisions]) -> Decisions:
        """One sorted table; reasons and details become Arrow arrays, which travel through the
        object store without copies (every split task reads them)."""
        import pyarrow as pa

        pos = np.concatenate([p.pos for p in parts]) if parts else np.zeros(0, np.int64)
        reasons = pa.array([r for p in parts for r in p.reasons], pa.string())
        details = pa.array([d for p in parts for d in p.details], pa.string())
        order = pa.array(np.argsort(pos, kind="stable"))
        return Decisions(pos[order.to_numpy()], reasons.take(order), details.take(order))

    def __len__(self) -> int:
        return len(self.pos)


def _read(files: list[str], columns: list[str]):
    import pyarrow as pa

    from skyray.curate.files import read_parquet

    tables = [read_parquet(f, columns=columns) for f in files]
    return pa.concat_tables(tables) if tables else None


def exact_shard(files: list[str], shard: int, num_shards: int) -> Decisions:
    """Exact duplicates among rows whose text hash falls in ``shard``."""
    table = _read(files, ["_pos", "id", "exact"])
    if table is None or table.num_rows == 0:
        return Decisions()
    exact = table["exact"].to_numpy()
    mine = np.flatnonzero(exact % np.uint64(num_shards) == np.uint64(shard))
    pos = table["_pos"].to_numpy()[mine]
    exact = exact[mine]
    order = np.lexsort((pos, exact))
    pos, exact, mine = pos[order], exact[order], mine[order]
    first = np.ones(len(pos), dtype=bool)
    first[1:] = exact[1:] != exact[:-1]
    group_first = np.maximum.accumulate(np.where(first, np.arange(len(pos)), 0))
    losers = np.flatnonzero(~first)
    if not len(losers):
        return Decisions()
    sizes = np.bincount(np.cumsum(first) - 1)
    ids = table["id"].take(mine[np.concatenate([losers, group_first[losers]])]).to_pylist()
    winners = ids[len(losers) :]
    group_of = (np.cumsum(first) - 1)[losers]
    details = [
        f"exact duplicate of {w} (identical normalised question and response; group of {sizes[g]})"
        for w, g in zip(winners, group_of, strict=True)
    ]
    return Decisions(pos[losers].astype(np.int64), ["dedup:exact"] * len(losers), details)


def _pairs_from_sorted(keys: np.ndarray, pos: np.ndarray, max_bucket: int) -> np.ndarray:
    """Candidate pairs from positions sorted by (key, pos): neighbours in each bucket, and all
    pairs in buckets of at most ``max_bucket`` members."""
    same = np.flatnonzero(keys[1:] == keys[:-1])
    pairs = [np.stack([pos[same], pos[same + 1]], axis=1)]
    if len(same):
        starts = np.flatnonzero(np.diff(np.concatenate([[-2], same])) > 1)
        run_first = same[starts]
        run_len = np.diff(np.concatenate([starts, [len(same)]])) + 1
        for first, size in zip(run_first[run_len > 2], run_len[run_len > 2], strict=True):
            members = pos[first : first + size]
            if size <= max_bucket:
                a, b = np.triu_indices(size, k=2)
                pairs.append(np.stack([members[a], members[b]], axis=1))
            else:  # a huge bucket: join everyone to its first member, not all pairs
                pairs.append(np.stack([np.full(size - 2, members[0]), members[2:]], axis=1))
    return np.concatenate(pairs).astype(np.int64)


def unique_pairs(pairs: np.ndarray) -> np.ndarray:
    if not len(pairs):
        return np.zeros((0, 2), np.int64)
    pairs = np.sort(pairs, axis=1)
    return np.unique(pairs, axis=0)


def band_shard(
    files: list[str], bands: list[int], excluded: np.ndarray, cfg: NearDedupConfig
) -> np.ndarray:
    """Candidate pairs (a < b positions) from the given bands, skipping ``excluded`` rows."""
    table = _read(files, ["_pos", *(band_column(b) for b in bands)])
    if table is None or table.num_rows < 2:
        return np.zeros((0, 2), np.int64)
    pos = table["_pos"].to_numpy()
    keep = ~np.isin(pos, excluded)
    pos = pos[keep]
    found = []
    for b in bands:
        keys = table[band_column(b)].to_numpy()[keep]
        order = np.lexsort((pos, keys))
        found.append(_pairs_from_sorted(keys[order], pos[order], cfg.max_bucket))
    return unique_pairs(np.concatenate(found)) if found else np.zeros((0, 2), np.int64)


def components(num_nodes: int, edges: np.ndarray) -> np.ndarray:
    """Connected components of the undirected graph ``edges`` (``(k, 2)`` node indices):
    label = smallest node index in the component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(edges):
        return np.arange(num_nodes, dtype=np.int64)
    ones = np.ones(len(edges), dtype=bool)  # repeated pairs stay one edge
    graph = coo_matrix((ones, (edges[:, 0], edges[:, 1])), shape=(num_nodes, num_nodes))
    _, labels = connected_components(graph, directed=False)
    _, smallest = np.unique(labels, return_index=True)  # first node of each component
    return smallest[labels].astype(np.int64)


@dataclass
class NearResult:
    decisions: Decisions
    stats: dict[str, float]
    confirmed: np.ndarray  # (k, 2) confirmed pairs of positions
    jaccard: np.ndarray  # estimated Jaccard of each candidate pair


def confirm_and_cluster(
    files: list[str], pairs: np.ndarray, cfg: NearDedupConfig, excluded: np.ndarray | None = None
) -> NearResult:
    """Keep candidate pairs whose estimated Jaccard reaches the threshold, cluster them and
    drop every member but the one with the smallest position. Pairs touching ``excluded`` rows
    (exact duplicates, already dropped) are left out: such a row has the same signature as the
    copy that stays, so the clusters do not change."""
    pairs = unique_pairs(pairs)
    if excluded is not None and len(excluded) and len(pairs):
        pairs = pairs[~(np.isin(pairs[:, 0], excluded) | np.isin(pairs[:, 1], excluded))]
    stats: dict[str, float] = {"candidate_pairs": int(len(pairs))}
    if not len(pairs):
        stats.update(confirmed_pairs=0, clusters=0, largest_cluster=0)
        return NearResult(Decisions(), stats, pairs, np.zeros(0))
    involved = np.unique(pairs)
    ids: list[str] = []
    pos_parts, sig_parts = [], []
    for f in files:
        table = _read([f], ["_pos", "id", "sig"])
        pos = table["_pos"].to_numpy()
        mask = np.isin(pos, involved)
        if not mask.any():
            continue
        idx = np.flatnonzero(mask)
        pos_parts.append(pos[idx])
        ids.extend(table["id"].take(idx).to_pylist())
        flat = table["sig"].combine_chunks().flatten().to_numpy()
        sig_parts.append(flat.reshape(-1, cfg.num_perm)[idx])
    node_pos = np.concatenate(pos_parts)
    order = np.argsort(node_pos)
    node_pos, sig = node_pos[order], np.concatenate(sig_parts)[order]
    ids = [ids[i] for i in order]
    a, b = np.searchsorted(node_pos, pairs[:, 0]), np.searchsorted(node_pos, pairs[:, 1])
    jaccard = (sig[a] == sig[b]).mean(axis=1)
    ok = jaccard >= cfg.threshold
    edges = np.stack([a[ok], b[ok]], axis=1)
    labels = components(len(node_pos), edges)
    sizes = np.bincount(labels, minlength=len(node_pos))
    # each dropped row names its best-matching confirmed partner
    best_j = np.full(len(node_pos), -1.0)
    best_partner = np.full(len(node_pos), -1, dtype=np.int64)
    for x, y, j in zip(edges[:, 0], edges[:, 1], jaccard[ok], strict=True):
        for s, t in ((x, y), (y, x)):
            if j > best_j[s] or (j == best_j[s] and t < best_partner[s]):
                best_j[s], best_partner[s] = j, t
    losers = np.flatnonzero(labels != np.arange(len(node_pos)))
    details = [
        f"near duplicate of {ids[labels[i]]} (cluster of {sizes[labels[i]]}); "
        f"est. Jaccard {best_j[i]:.2f} with {ids[best_partner[i]]}"
        for i in losers
    ]
    clusters = np.flatnonzero(sizes >= 2)
    stats.update(
        confirmed_pairs=int(ok.sum()),
        rejected_pairs=int((~ok).sum()),
        clusters=int(len(clusters)),
        largest_cluster=int(sizes.max()) if len(sizes) else 0,
    )
    decisions = Decisions(node_pos[losers], ["dedup:near"] * len(losers), details)
    return NearResult(decisions, stats, np.stack([pairs[ok, 0], pairs[ok, 1]], axis=1), jaccard)


def dedup_shard(files: list[str], shard: int, cfg: CurateConfig) -> tuple[Decisions, np.ndarray]:
    """One shard of pass 2: exact duplicates among rows whose text hash falls in ``shard``, and
    candidate pairs from this shard's LSH bands."""
    num_shards = cfg.near_dedup.num_shards
    exact = exact_shard(files, shard, num_shards) if cfg.exact_dedup.enabled else Decisions()
    bands = shard_bands(cfg.near_dedup)
    pairs = np.zeros((0, 2), np.int64)
    if cfg.near_dedup.enabled and shard < len(bands):
        pairs = band_shard(files, bands[shard], np.zeros(0, np.int64), cfg.near_dedup)
    return exact, pairs


def near_decisions(
    files: list[str], cfg: CurateConfig, exact: list[Decisions], pairs: list[np.ndarray]
) -> tuple[Decisions, dict[str, Any]]:
    """Confirm, cluster and merge: every dedup decision of the run, and the near-dup stats."""
    parts = list(exact)
    stats: dict[str, Any] = {}
    if cfg.near_dedup.enabled:
        excluded = np.sort(np.concatenate([d.pos for d in exact])) if exact else None
        result = confirm_and_cluster(files, np.concatenate(pairs), cfg.near_dedup, excluded)
        parts.append(result.decisions)
        stats = result.stats
    return Decisions.merge(parts), stats


def shard_bands(cfg: NearDedupConfig) -> list[list[int]]:
    shards = [list(range(s, cfg.bands, cfg.num_shards)) for s in range(cfg.num_shards)]
    return [s for s in shards if s]


def feature_files(work_dir: str | Path) -> list[str]:
    from skyray.curate.files import join, list_parquet

    return list_parquet(join(str(work_dir), "features"))
