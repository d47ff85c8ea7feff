"""Pass 3, per chunk: apply the dedup decisions and write ``kept/`` and ``dropped/`` shards.

A kept shard holds the input columns unchanged; a dropped shard holds ``id``, ``drop_reason``,
``drop_detail`` and then the input columns. Shards are named after their chunk, so a rerun or a
retried task overwrites rather than duplicates.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from skyray.curate.annotate import ANNOTATED, DETAIL, REASON, chunk_file
from skyray.curate.dedup import Decisions
from skyray.curate.reader import Chunk

KEPT, DROPPED = "kept", "dropped"
INTERNAL = ("_pos", REASON, DETAIL)


def _write(table, path: str) -> None:
    from skyray.curate.files import write_parquet

    write_parquet(table, path)


def _take(values, idx: np.ndarray) -> list:
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.take(pa.array(idx, pa.int64())).to_pylist()
    return [values[i] for i in idx]


def split_chunk(
    chunk: Chunk, decisions: Decisions, work_dir: str | Path, out_dir: str | Path
) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from skyray.curate.files import join, read_parquet

    table = read_parquet(chunk_file(work_dir, ANNOTATED, chunk))
    reasons = table[REASON].to_pylist()
    details = table[DETAIL].to_pylist()
    if len(decisions):
        pos = table["_pos"].to_numpy()
        slot = np.minimum(np.searchsorted(decisions.pos, pos), len(decisions) - 1)
        matched = np.flatnonzero(decisions.pos[slot] == pos)
        found = zip(
            matched,
            _take(decisions.reasons, slot[matched]),
            _take(decisions.details, slot[matched]),
            strict=True,
        )
        for i, reason, detail in found:
            if reasons[i] is None:  # an earlier stage's reason wins
                reasons[i], details[i] = reason, detail
    dropped_mask = pa.array([r is not None for r in reasons], pa.bool_())
    columns = [c for c in table.column_names if c not in INTERNAL]
    kept = table.filter(pc.invert(dropped_mask)).select(columns)
    dropped = table.filter(dropped_mask)
    dropped_reasons = [r for r in reasons if r is not None]
    dropped_details = [d for r, d in zip(reasons, details, strict=True) if r is not None]
    carried = [c for c in columns if c != "id"]
    dropped = pa.table(
        {
            "id": dropped["id"],
            "drop_reason": pa.array(dropped_reasons, pa.string()),
            "drop_detail": pa.array(dropped_details, pa.string()),
            **{c: dropped[c] for c in carried},
        }
    )
    name = f"part-{chunk.index:06d}.parquet"
    if kept.num_rows:
        _write(kept, join(str(out_dir), KEPT, name))
    if dropped.num_rows:
        _write(dropped, join(str(out_dir), DROPPED, name))
    return {
        "chunk": chunk.index,
        "kept": kept.num_rows,
        "dropped": dropped.num_rows,
        "reasons": dict(Counter(dropped_reasons)),
    }
