"""SFT data: the curated Parquet -> encoded rows, with Ray Data or without Ray.

Both paths produce the same rows ``{key, input_ids, prompt_len, drop}`` (the loop orders them by key), so a
``torchrun`` run and a Ray Train run see identical data.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from skyray.train.config import SFTConfig
from skyray.train.tokenize import encode_rows, query_column

OPTIONAL_COLUMNS = ("id", "stage")


def parquet_files(data_path: str | Path) -> list[Path]:
    """The Parquet files to train on (a curation output's ``kept/`` only), or a clear error."""
    from skyray.train.source import resolve_source

    return list(resolve_source(data_path).files)


def data_columns(data_path: str | Path) -> list[str]:
    """Columns to read: question/query, response and the optional id/stage; checks the schema."""
    import pyarrow.parquet as pq

    columns: list[str] | None = None
    for file in parquet_files(data_path):
        names = pq.read_schema(file).names
        try:
            qcol = query_column(names)
        except ValueError as exc:
            raise ValueError(f"{file}: {exc}") from None
        these = [qcol, "response"] + [c for c in OPTIONAL_COLUMNS if c in names]
        if columns is not None and columns != these:
            raise ValueError(f"{file}: columns {these} differ from the other files' {columns}")
        columns = these
    assert columns is not None
    return columns


def read_rows(
    data_path: str | Path, limit: int | None = None, stage: int | None = None
) -> list[dict[str, Any]]:
    """Plain rows (the needed columns only), at most ``limit`` of them; with ``stage``, only rows
    of that stage (read on until ``limit`` are found: synthesis writes stage-2 rows last)."""
    import pyarrow.parquet as pq

    columns = data_columns(data_path)
    rows: list[dict[str, Any]] = []
    for file in parquet_files(data_path):
        for batch in pq.ParquetFile(file).iter_batches(batch_size=1024, columns=columns):
            batch_rows = batch.to_pylist()
            if stage is not None:
                batch_rows = [r for r in batch_rows if r.get("stage", 1) == stage]
            rows.extend(batch_rows)
            if limit is not None and len(rows) >= limit:
                return rows[:limit]
    return rows


@functools.lru_cache(maxsize=4)
def load_tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def encode_batch(
    batch: Any, tokenizer_path: str, max_length: int, overlong: str, data_stage: int | None
) -> Any:
    """One Arrow batch of input rows -> an Arrow table {key, input_ids, prompt_len, drop}."""
    import pyarrow as pa

    rows = encode_rows(
        load_tokenizer(tokenizer_path), batch.to_pylist(), max_length, overlong, data_stage
    )
    return pa.table(
        {
            "key": pa.array([r["key"] for r in rows], pa.string()),
            "input_ids": pa.array([r["input_ids"] for r in rows], pa.list_(pa.int32())),
            "prompt_len": pa.array([r["prompt_len"] for r in rows], pa.int32()),
            "drop": pa.array([r["drop"] for r in rows], pa.string()),
        }
    )


def encoded_table(data_path: str | Path, tokenizer_path: str, cfg: SFTConfig) -> Any:
    """Without Ray: every row encoded, as one Arrow table (the columns Ray Data produces)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = data_columns(data_path)
    tables = [
        encode_batch(
            pq.read_table(file, columns=columns),
            tokenizer_path,
            cfg.max_length,
            cfg.overlong,
            cfg.data_stage,
        )
        for file in parquet_files(data_path)
    ]
    return pa.concat_tables(tables)


def build_ray_dataset(data_path: str | Path, tokenizer_path: str, cfg: SFTConfig) -> Any:
    """Ray Data: read, encode in parallel tasks, materialize once; every worker reads all of it
    and keeps its share (see :func:`skyray.train.shard.shard_rows`)."""
    import ray.data

    files = [str(f.resolve()) for f in parquet_files(data_path)]
    ds = ray.data.read_parquet(files).select_columns(data_columns(data_path))
    ds = ds.map_batches(
        encode_batch,
        batch_format="pyarrow",
        batch_size=512,
        fn_kwargs={
            "tokenizer_path": tokenizer_path,
            "max_length": cfg.max_length,
            "overlong": cfg.overlong,
            "data_stage": cfg.data_stage,
        },
    )
    return ds.materialize()


def dataset_manifest(data_path: str | Path) -> dict[str, Any]:
    """Link to the manifest of the step that wrote the data (the curation step folder, also when
    the path is its ``kept/`` folder or a file in it), with a hash of the manifest and of each
    data file, so the model names the exact data it saw."""
    from skyray.runs import MANIFEST
    from skyray.train.source import resolve_source

    source = resolve_source(data_path)
    link: dict[str, Any] = {
        "data_path": str(source.path),
        "files": {str(f): _sha256(f) for f in source.files},
        "manifest": None,
    }
    if source.step_dir is not None:
        import json

        manifest = source.step_dir / MANIFEST
        content = json.loads(manifest.read_text())
        link["manifest"] = str(manifest)
        link["manifest_sha256"] = _sha256(manifest)
        link["step"] = content.get("step")
        link["step_fingerprint"] = content.get("fingerprint")
    return link


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
