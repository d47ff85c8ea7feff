"""Pass 1, per chunk: read, format checks, decontamination, dedup features.

Everything here is row-local, so it streams: each chunk writes its rows with their verdicts to
``_work/annotated/`` and the compact dedup features of the surviving rows (position, id,
exact-text hash, LSH band keys, MinHash signature) to ``_work/features/``. The pure function
:func:`annotate_chunk` is what both the Ray actors and the in-process engine run.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from skyray.curate.checks import check_answer, check_answer_line, check_lengths
from skyray.curate.config import CurateConfig
from skyray.curate.decontam import Hit, Matcher
from skyray.curate.minhash import band_keys, shingle_hashes, signatures
from skyray.curate.reader import Chunk, read_chunk
from skyray.curate.text import Tokens, row_hashes, splitmix64, tokenize_batch

ANNOTATED = "annotated"
FEATURES = "features"
REASON, DETAIL = "_reason", "_detail"


def chunk_file(work_dir: str | Path, kind: str, chunk: Chunk) -> str:
    """A chunk's file under ``work_dir`` (a local path or a URI)."""
    from skyray.curate.files import join

    return join(str(work_dir), kind, f"chunk-{chunk.index:06d}.parquet")


def band_column(band: int) -> str:
    return f"band_{band:03d}"


def concat_tokens(a: Tokens, b: Tokens) -> Tokens:
    """Row-wise concatenation of two token batches (hashes and offsets only)."""
    ca, cb = a.counts(), b.counts()
    offsets = np.zeros(len(ca) + 1, dtype=np.int64)
    np.cumsum(ca + cb, out=offsets[1:])
    hashes = np.empty(offsets[-1], dtype=np.uint64)
    rows_a = np.repeat(np.arange(len(ca)), ca)
    rows_b = np.repeat(np.arange(len(cb)), cb)
    hashes[offsets[:-1][rows_a] + np.arange(len(rows_a)) - a.row_offsets[:-1][rows_a]] = a.hashes
    hashes[
        offsets[:-1][rows_b] + ca[rows_b] + np.arange(len(rows_b)) - b.row_offsets[:-1][rows_b]
    ] = b.hashes
    empty = np.zeros(0, dtype=np.int64)
    return Tokens(np.zeros(0, np.uint8), empty, empty, offsets, hashes)


def _format_verdicts(table, cfg: CurateConfig) -> list[tuple[str, str] | None]:
    rows = table.select([c for c in ("question", "response", "gold") if c in table.column_names])
    out = []
    for row in rows.to_pylist():
        out.append(
            check_lengths(row, cfg.format)
            or check_answer_line(row, cfg.format)
            or check_answer(row, cfg.format)
        )
    return out


def _decontam_verdict(hits: list[Hit], order: list[str]) -> tuple[str, str] | None:
    if not hits:
        return None
    hits = sorted(hits, key=lambda h: (order.index(h.benchmark), -h.num_tokens, h.item_id))
    first = hits[0]
    more = f" (+{len(hits) - 1} more item(s))" if len(hits) > 1 else ""
    return f"decontam:{first.benchmark}", f"{first.detail()}{more}"


def annotate_chunk(
    chunk: Chunk, cfg: CurateConfig, matcher: Matcher | None, work_dir: str | Path
) -> dict[str, Any]:
    """Run pass 1 on one chunk; write its two files; return counts and timings."""
    import pyarrow as pa

    from skyray.curate.files import write_parquet

    timings: Counter[str] = Counter()
    t0 = time.perf_counter()
    read = read_chunk(chunk)
    table = read.table
    n = table.num_rows
    reasons: list[tuple[str, str] | None] = [None] * n
    timings["read"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    reasons = _format_verdicts(table, cfg)
    timings["format"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    alive = np.array([v is None for v in reasons], dtype=bool)
    alive_idx = np.flatnonzero(alive)
    sub = table.take(pa.array(alive_idx, pa.int64()))
    tokens = {f: tokenize_batch(sub[f]) for f in ("question", "response")}
    benchmarks_hit: Counter[str] = Counter()
    if matcher is not None and cfg.decontam.enabled:
        hits: list[list[Hit]] = [[] for _ in range(len(alive_idx))]
        for field in cfg.decontam.fields:
            found = matcher.find_tokens(
                tokens[field] if field in tokens else tokenize_batch(sub[field]), field
            )
            for i, row_hits in enumerate(found):
                hits[i].extend(row_hits)
        for i, row_hits in enumerate(hits):
            verdict = _decontam_verdict(row_hits, cfg.decontam.benchmarks)
            if verdict:
                reasons[alive_idx[i]] = verdict
                for bench in {h.benchmark for h in row_hits}:
                    benchmarks_hit[bench] += 1
    timings["decontam"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    survivors = np.array([reasons[i] is None for i in alive_idx], dtype=bool)
    nd = cfg.near_dedup
    both = concat_tokens(tokens["question"], tokens["response"])
    exact = splitmix64(
        row_hashes(both)
        ^ (tokens["question"].counts().astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    )
    sh, sh_rows = shingle_hashes(both, nd.shingle_size)
    sig = signatures(sh, sh_rows, len(alive_idx), nd.num_perm, nd.seed)
    bands = band_keys(sig, nd.bands, nd.rows_per_band)
    keep = np.flatnonzero(survivors)
    features = {
        "_pos": pa.array(sub["_pos"].to_numpy()[keep], pa.int64()),
        "id": sub["id"].take(pa.array(keep, pa.int64())),
        "exact": pa.array(exact[keep], pa.uint64()),
    }
    for b in range(nd.bands):
        features[band_column(b)] = pa.array(bands[keep, b], pa.uint64())
    features["sig"] = pa.FixedSizeListArray.from_arrays(
        pa.array(sig[keep].ravel(), pa.uint32()), nd.num_perm
    )
    timings["signatures"] += time.perf_counter() - t0

    t0 = time.perf_counter()
    annotated = table.append_column(
        REASON, pa.array([v[0] if v else None for v in reasons], pa.string())
    )
    annotated = annotated.append_column(
        DETAIL, pa.array([v[1] if v else None for v in reasons], pa.string())
    )
    if read.dropped:
        parsed = pa.Table.from_pylist(
            [
                {
                    "_pos": d["_pos"],
                    "id": d["id"],
                    REASON: d["drop_reason"],
                    DETAIL: d["drop_detail"],
                }
                for d in read.dropped
            ]
        )
        annotated = pa.concat_tables([annotated, parsed], promote_options="permissive")
        annotated = annotated.sort_by("_pos")
    for kind, data in ((ANNOTATED, annotated), (FEATURES, pa.table(features))):
        write_parquet(data, chunk_file(work_dir, kind, chunk))
    timings["write"] += time.perf_counter() - t0

    by_reason = Counter(v[0] for v in reasons if v) + Counter(
        d["drop_reason"] for d in read.dropped
    )
    return {
        "chunk": chunk.index,
        "rows": n + len(read.dropped),
        "survivors": int(len(keep)),
        "reasons": dict(by_reason),
        "benchmarks": dict(benchmarks_hit),
        "timings": dict(timings),
    }
