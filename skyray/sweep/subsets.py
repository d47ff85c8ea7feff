"""Deterministic nested subsets of one curated dataset.

The pool is every row of the stage the recipe trains on. ``random`` orders it by
``sha256("<subset_seed>:<sample id>")``; ``verifier`` by verifier score, highest first (ties and
rows in the same order as ``random``), leaving out rows without a score. A subset of size N is
the first N rows of that order, so a smaller subset is always a prefix of a larger one and the
order never depends on file layout or input row order. Each subset is written once as a small
step-like folder (``data.parquet``, ``manifest.json``, ``_SUCCESS``) that SFT manifests link to.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyray.config import require

DATA_FILE = "data.parquet"
SCORE = "verifier_score"


def sample_key(row_id: Any, question: str, response: str) -> str:
    """A row's identity: its id, or a hash of its text when it has none."""
    if row_id not in (None, ""):
        return str(row_id)
    return hashlib.sha256(f"{question}\x00{response}".encode()).hexdigest()[:16]


def shuffle_key(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def random_order(keys: list[str], seed: int) -> list[int]:
    """Row indices in the fixed shuffle (ties cannot happen: keys of equal text collide only
    when the rows are the same sample)."""
    return sorted(range(len(keys)), key=lambda i: (shuffle_key(keys[i], seed), keys[i]))


def verifier_order(keys: list[str], scores: list[float | None], seed: int) -> list[int]:
    """Rows with a score, highest first; equal scores in the random order."""
    scored = [i for i, s in enumerate(scores) if s is not None and s == s]
    return sorted(scored, key=lambda i: (-float(scores[i]), shuffle_key(keys[i], seed), keys[i]))


@dataclass
class Pool:
    """The rows subsets are drawn from, with their keys and (optional) verifier scores."""

    table: Any  # pyarrow.Table
    keys: list[str]
    scores: list[float | None] | None
    source: str  # what the rows are, for error messages

    def order(self, selection: str, seed: int) -> list[int]:
        if selection == "random":
            return random_order(self.keys, seed)
        require(
            self.scores is not None,
            f"selection 'verifier' needs a {SCORE} column in the data or verifier_scores=PATH "
            "(the scored.parquet of skyray eval verify)",
        )
        return verifier_order(self.keys, self.scores, seed)


def read_table(data: str | Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from skyray.train.data import data_columns, parquet_files

    data_columns(data)  # question/query + response, or a one-line error naming the columns
    tables = [pq.read_table(f) for f in parquet_files(data)]
    return pa.concat_tables(tables, promote_options="default")


def load_pool(data: str | Path, data_stage: int | None, verifier_scores: str = "") -> Pool:
    """Rows of ``data_stage`` (all rows when None; rows without a ``stage`` column are stage 1)."""
    import pyarrow.compute as pc

    table = read_table(data)
    source = f"{data}" + (f" (stage {data_stage})" if data_stage is not None else "")
    if data_stage is not None:
        if "stage" in table.column_names:
            table = table.filter(pc.equal(table["stage"], data_stage))
        elif data_stage != 1:
            table = table.slice(0, 0)
    qcol = "question" if "question" in table.column_names else "query"
    ids = table["id"].to_pylist() if "id" in table.column_names else [None] * table.num_rows
    keys = [
        sample_key(i, q, r)
        for i, q, r in zip(ids, table[qcol].to_pylist(), table["response"].to_pylist(), strict=True)
    ]
    scores = None
    if verifier_scores:
        scores = _joined_scores(keys, verifier_scores)
    elif SCORE in table.column_names:
        scores = table[SCORE].to_pylist()
    return Pool(table, keys, scores, source)


def _joined_scores(keys: list[str], path: str) -> list[float | None]:
    import pyarrow.parquet as pq

    from skyray.train.data import parquet_files

    table = pq.read_table(parquet_files(path)[0] if Path(path).is_dir() else path)
    missing = [c for c in ("id", SCORE) if c not in table.column_names]
    require(not missing, f"verifier_scores {path}: missing column(s) {missing}")
    by_id = dict(zip(map(str, table["id"].to_pylist()), table[SCORE].to_pylist(), strict=True))
    return [by_id.get(k) for k in keys]


def subset_name(selection: str, size: int) -> str:
    return f"{selection}-n{size}"


def check_sizes(pool: Pool, selection: str, sizes: list[int], seed: int) -> list[int]:
    """The order for ``selection``; a one-line error for an empty pool or a size too large."""
    order = pool.order(selection, seed)
    what = "rows with a verifier score" if selection == "verifier" else "rows"
    require(bool(order), f"empty subset: {pool.source} has no {what} to train on")
    too_big = [n for n in sizes if n > len(order)]
    require(
        not too_big,
        f"size {max(too_big) if too_big else 0} is larger than the dataset: {pool.source} has "
        f"{len(order)} {what} (sizes {sorted(sizes)})",
    )
    return order


def write_subset(pool: Pool, order: list[int], n: int, folder: Path, meta: dict) -> Path:
    """``folder/data.parquet`` with the first ``n`` rows of ``order``; skipped when the marker
    holds the same fingerprint. Returns the folder (what SFT reads and its manifest links)."""
    from skyray.atomic import write_json_atomic, write_parquet_atomic
    from skyray.runs import MANIFEST, SUCCESS

    fp = hashlib.sha256(json.dumps({**meta, "n": n}, sort_keys=True).encode()).hexdigest()[:16]
    marker = folder / SUCCESS
    if marker.is_file() and marker.read_text().strip() == fp:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    rows = pool.table.take(order[:n])
    write_parquet_atomic(folder / DATA_FILE, rows)
    ids = "\n".join(pool.keys[i] for i in order[:n]).encode()
    manifest = {
        "step": folder.name,
        "fingerprint": fp,
        "rows": {"kept": n, "pool": len(pool.keys)},
        "ids_sha256": hashlib.sha256(ids).hexdigest(),
        **meta,
    }
    write_json_atomic(folder / MANIFEST, manifest)
    marker.write_text(fp + "\n")
    return folder
