"""Curation's files on a local path or a URI (``s3://...``): the same calls either way.

On a URI storage root curation's intermediate files (``_work/``) and its output (``kept/``,
``dropped/``) are written to the storage itself, not to the driver's staging copy, because the
actors and tasks that write and read them run on any node. Local writes go through a temp file
and a rename; object stores make each written object appear whole."""

from __future__ import annotations

import contextlib
from typing import Any

from skyray.atomic import write_parquet_atomic
from skyray.storage import filesystem, is_uri, join

__all__ = [
    "join",
    "list_parquet",
    "open_input",
    "parquet_file",
    "read_parquet",
    "remove",
    "write_parquet",
]


def write_parquet(table: Any, path: str) -> None:
    import pyarrow.parquet as pq

    fs, where = filesystem(path)
    fs.create_dir(where.rsplit("/", 1)[0], recursive=True)
    if is_uri(path):
        pq.write_table(table, where, filesystem=fs)
        return
    write_parquet_atomic(where, table)


def read_parquet(path: str, columns: list[str] | None = None):
    import pyarrow.parquet as pq

    fs, where = filesystem(path)
    return pq.read_table(where, columns=columns, filesystem=fs)


def parquet_file(path: str):
    import pyarrow.parquet as pq

    if not is_uri(path):
        return pq.ParquetFile(path)
    fs, where = filesystem(path)
    return pq.ParquetFile(fs.open_input_file(where))


@contextlib.contextmanager
def open_input(path: str):
    """A seekable binary file with ``readline``."""
    if not is_uri(path):
        with open(path, "rb") as handle:
            yield handle
        return
    import io

    fs, where = filesystem(path)
    with fs.open_input_file(where) as raw, io.BufferedReader(raw, 1 << 20) as handle:
        yield handle  # buffered: readline() in ranged reads of 1 MiB


def list_parquet(folder: str, prefix: str = "chunk-") -> list[str]:
    """The Parquet files ``<folder>/<prefix>*.parquet``, sorted, as paths or URIs."""
    from pyarrow import fs as pafs

    fs, where = filesystem(folder)
    infos = fs.get_file_info(pafs.FileSelector(where, allow_not_found=True))
    names = sorted(
        i.base_name
        for i in infos
        if i.type == pafs.FileType.File
        and i.base_name.startswith(prefix)
        and i.base_name.endswith(".parquet")
    )
    return [join(folder, name) for name in names]


def remove(path: str) -> None:
    """Delete a file or a folder (missing is fine)."""
    from pyarrow import fs as pafs

    fs, where = filesystem(path)
    info = fs.get_file_info(where)
    if info.type == pafs.FileType.Directory:
        fs.delete_dir(where)
    elif info.type == pafs.FileType.File:
        fs.delete_file(where)
