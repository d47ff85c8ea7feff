"""Write a file whole or not at all: through a temp file next to it, then a rename.

A reader (a resumed stage, a dashboard, another node on a shared disk) never sees half a file,
and a failed write leaves neither half a file nor a stray temp. The temp is ``<name>.tmp`` in
the same folder (same filesystem, so the rename is atomic); folder readers skip ``*.tmp``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "write_atomic",
    "write_json_atomic",
    "write_jsonl_atomic",
    "write_parquet_atomic",
    "write_text_atomic",
]


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` to fill a temp file, then rename it over ``path``; on any error the
    temp is removed and the error raised."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):  # e.g. the folder is missing: the error is below
            tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_jsonl_atomic(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line, non-ASCII kept as is."""

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    write_atomic(path, write)


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Indented, key-sorted JSON. Passwords in URLs (a config's ``base_url``, argv) are masked:
    see :mod:`skyray.redact`."""
    from skyray.redact import redact

    text = json.dumps(redact(data), indent=2, sort_keys=True, default=str) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text))


def write_parquet_atomic(path: str | Path, table: Any) -> None:
    """A ``pyarrow.Table`` as one Parquet file."""
    import pyarrow.parquet as pq

    write_atomic(path, lambda tmp: pq.write_table(table, tmp))
