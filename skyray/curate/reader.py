"""Input planning and chunk reading for curation.

Inputs (JSONL, gzip-compressed JSONL or Parquet files, or folders of them) are checked up front
(missing files, wrong schema, all-empty input: one clear error before any work starts) and cut
into chunks: byte ranges of a JSONL file, row groups of a Parquet file, a ``.jsonl.gz`` whole.
Every row gets a position ``_pos`` = ``file_index << 40 | offset`` (the byte offset of its line,
uncompressed, or its row number), so its identity and order do not depend on how the input was
cut or how many workers read it. Other files inside a folder are listed as skipped (the report
and the log), never silently passed over; the output folder itself is never read as input.

Row-level problems (bad UTF-8, bad JSON, a null or non-string question/response) never stop the
run: the row comes back as a drop with a reason and a detail.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from skyray.curate.checks import check_fields
from skyray.curate.files import open_input, parquet_file

logger = logging.getLogger(__name__)
REQUIRED = ("id", "question", "response")
POS_BITS = 40  # offsets up to 1 TiB per file; up to 2**23 input files
KINDS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl.gz", ".parquet": "parquet"}  # name ending -> kind
WHOLE_FILE = 1 << POS_BITS  # chunk end of a compressed file (read whole, by one worker)
SYNTH_OUTPUT = "synthetic.parquet"  # what skyray.synth writes into its step folder


@dataclass
class Chunk:
    index: int  # chunk number, names the output shards
    file_index: int  # position of the file among the inputs
    path: str
    kind: str  # "jsonl", "jsonl.gz" or "parquet"
    start: int  # JSONL: byte offset; Parquet: first row group
    end: int  # JSONL: byte end (exclusive); Parquet: row group end (exclusive)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    files: list[str]
    chunks: list[Chunk]
    empty_files: list[str]
    skipped_files: list[str]  # files inside input folders that are not a supported type


def kind_of(path: Path) -> str | None:
    """The input kind a file name says (None: not a supported input)."""
    name = path.name.lower()
    return next((kind for end, kind in KINDS.items() if name.endswith(end)), None)


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder.resolve())


def expand_inputs(
    inputs: list[str | Path], exclude: str | Path | None = None, skipped: list[str] | None = None
) -> list[Path]:
    """Files named, plus the supported files inside named folders (sorted); a synthesis step
    folder contributes its `synthetic.parquet` only. ``exclude`` (the output folder) is never
    read, and naming a path inside it is an error; other files found in folders are appended
    to ``skipped``."""
    exclude = Path(exclude) if exclude is not None else None
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.exists() and _inside(path, exclude):
            raise ValueError(f"input {path} is inside the output folder {exclude}")
        if path.is_dir():
            if (path / SYNTH_OUTPUT).is_file():  # a synthesis step folder: its samples only
                files.append(path / SYNTH_OUTPUT)
                continue
            found, others = _scan_folder(path, exclude)
            if skipped is not None:
                skipped.extend(others)
            if not found:
                raise FileNotFoundError(
                    f"input folder {path} holds no .jsonl, .jsonl.gz or .parquet files"
                    + (f" (skipped: {', '.join(others[:5])})" if others else "")
                )
            files.extend(found)
        elif path.is_file():
            if kind_of(path) is None:
                raise ValueError(
                    f"input {path}: unsupported file type (use .jsonl, .jsonl.gz or .parquet)"
                )
            files.append(path)
        else:
            raise FileNotFoundError(f"input not found: {path}")
    if not files:
        raise ValueError("no input files given")
    return files


def is_curation_output(folder: Path) -> bool:
    """A folder ``skyray curate`` wrote: its ``_work/`` (a run in progress or killed), or
    ``report.json`` beside ``kept/`` or ``dropped/``."""
    if (folder / "_work").is_dir():
        return True
    parts = (folder / "kept").is_dir() or (folder / "dropped").is_dir()
    return parts and (folder / "report.json").is_file()


def _scan_folder(folder: Path, exclude: Path | None) -> tuple[list[Path], list[str]]:
    """(supported files, skipped entries) under ``folder``, minus ``exclude`` and temp files;
    a curation output inside it (or the folder itself) is one skipped entry, never read: its
    kept and dropped rows are not samples to curate again (name its ``kept/`` to mean that)."""
    found: list[Path] = []
    others: list[str] = []
    outputs = sorted(
        d for d in [folder, *folder.rglob("*")] if d.is_dir() and is_curation_output(d)
    )
    outputs = [d for d in outputs if not _inside(d, exclude)]
    others.extend(f"{d}/ (a curation output)" for d in outputs)
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or _inside(p, exclude) or ".tmp" in p.suffixes:
            continue
        if any(p.is_relative_to(d) for d in outputs):
            continue
        if kind_of(p):
            found.append(p)
        else:
            others.append(str(p))
    return found, others


@contextlib.contextmanager
def _open(path: str | Path, kind: str):
    """A binary file (a local path or a URI), decompressed when ``kind`` is ``jsonl.gz``."""
    with open_input(str(path)) as raw:
        if kind != "jsonl.gz":
            yield raw
            return
        with gzip.GzipFile(fileobj=raw) as handle:
            yield handle


def _check_jsonl_header(path: Path, kind: str = "jsonl") -> bool:
    """The first parseable row must carry the required columns (catches a wrong file early);
    False when the file holds no non-blank line."""
    try:
        with _open(path, kind) as handle:
            for raw in handle:
                if raw.strip():
                    _check_first_row(path, raw)
                    return True
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"input {path}: not a readable gzip file ({exc})") from None
    return False


def _check_first_row(path: Path, raw: bytes) -> None:
    try:
        row = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # a bad first line is a counted drop, not a schema verdict
    if isinstance(row, dict):
        missing = [c for c in REQUIRED if c not in row]
        if missing:
            raise ValueError(
                f"input {path}: rows lack column(s) {missing} (found {sorted(row)[:12]})"
            )


def _check_parquet(path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"input {path}: not a readable Parquet file ({exc})") from None
    schema = meta.schema_arrow
    missing = [c for c in REQUIRED if c not in schema.names]
    if missing:
        raise ValueError(f"input {path}: missing column(s) {missing} (found {schema.names[:12]})")
    for name in ("question", "response"):
        if not pa.types.is_string(schema.field(name).type) and not pa.types.is_large_string(
            schema.field(name).type
        ):
            raise ValueError(
                f"input {path}: column {name!r} is {schema.field(name).type}, not string"
            )
    return meta.metadata.num_rows


def plan_inputs(
    inputs: list[str | Path], chunk_bytes: int, exclude: str | Path | None = None
) -> Plan:
    """Check every input and cut it into chunks of about ``chunk_bytes`` (``exclude``: the
    output folder, never read)."""
    import pyarrow.parquet as pq

    skipped: list[str] = []
    files = expand_inputs(inputs, exclude, skipped)
    if len(files) >= 1 << (63 - POS_BITS):
        raise ValueError(f"too many input files ({len(files)})")
    chunks: list[Chunk] = []
    empty: list[str] = []
    for file_index, path in enumerate(files):
        kind = kind_of(path)
        if kind == "jsonl.gz":
            if not _check_jsonl_header(path, kind):
                empty.append(str(path))
                continue
            chunks.append(Chunk(len(chunks), file_index, str(path), kind, 0, WHOLE_FILE))
        elif kind == "jsonl":
            size = path.stat().st_size
            if size == 0:
                empty.append(str(path))
                continue
            _check_jsonl_header(path)
            for start in range(0, size, chunk_bytes):
                end = min(start + chunk_bytes, size)
                chunks.append(Chunk(len(chunks), file_index, str(path), kind, start, end))
        else:
            if _check_parquet(path) == 0:
                empty.append(str(path))
                continue
            meta = pq.ParquetFile(path).metadata
            group, acc, first = 0, 0, 0
            for group in range(meta.num_row_groups):
                acc += meta.row_group(group).total_byte_size
                if acc >= chunk_bytes:
                    chunks.append(Chunk(len(chunks), file_index, str(path), kind, first, group + 1))
                    first, acc = group + 1, 0
            if first < meta.num_row_groups:
                chunks.append(
                    Chunk(len(chunks), file_index, str(path), kind, first, meta.num_row_groups)
                )
    for path in empty:
        logger.warning("input %s is empty", path)
    if skipped:
        logger.warning(
            "curate: skipped %d file(s) that are not .jsonl, .jsonl.gz or .parquet: %s",
            len(skipped),
            ", ".join(skipped),
        )
    if not chunks:
        raise ValueError(f"every input is empty: {', '.join(empty)}")
    return Plan([str(f) for f in files], chunks, empty, skipped)


@dataclass
class ChunkRows:
    """What a chunk read gives: good rows as a table, and rows dropped while parsing."""

    table: Any  # pyarrow.Table with `_pos` first
    dropped: list[dict[str, Any]]  # {"_pos", "id", "drop_reason", "drop_detail"}


def read_chunk(chunk: Chunk) -> ChunkRows:
    if chunk.kind in ("jsonl", "jsonl.gz"):
        return _read_jsonl(chunk)
    return _read_parquet(chunk)


def _read_jsonl(chunk: Chunk) -> ChunkRows:
    base = chunk.file_index << POS_BITS
    name = Path(chunk.path).name
    rows: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    with _open(chunk.path, chunk.kind) as handle:
        if chunk.start > 0:
            handle.seek(chunk.start - 1)
            if handle.read(1) != b"\n":
                handle.readline()  # this line started in the previous chunk
        while True:
            offset = handle.tell()
            if offset >= chunk.end:
                break
            try:
                raw = handle.readline()
            except (OSError, EOFError, zlib.error) as exc:  # a corrupt or cut .gz
                where = f"{name}@{offset}"
                detail = f"{where}: compressed stream unreadable from here ({exc})"
                dropped.append(_drop(base | offset, where, "parse:bad-gzip", detail))
                break
            if not raw:
                break
            if not raw.strip():
                continue
            pos = base | offset
            where = f"{name}@{offset}"
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                dropped.append(_drop(pos, where, "parse:not-utf8", f"{where}: {exc}"))
                continue
            except json.JSONDecodeError as exc:
                dropped.append(_drop(pos, where, "parse:bad-json", f"{where}: {exc}"))
                continue
            if not isinstance(row, dict):
                dropped.append(
                    _drop(pos, where, "parse:not-object", f"{where}: a JSON {type(row).__name__}")
                )
                continue
            row_id = row.get("id")
            row["id"] = where if row_id is None or row_id == "" else str(row_id)
            verdict = check_fields(row)
            if verdict:
                dropped.append(_drop(pos, row["id"], *verdict))
                continue
            if row.get("gold") is not None and not isinstance(row["gold"], str):
                row["gold"] = str(row["gold"])
            row["_pos"] = pos
            rows.append(row)
    return ChunkRows(normalize_types(_to_table(rows)), dropped)


def _drop(pos: int, row_id: str, reason: str, detail: str) -> dict[str, Any]:
    return {"_pos": pos, "id": row_id, "drop_reason": reason, "drop_detail": detail}


def _to_table(rows: list[dict[str, Any]]):
    """Rows to Arrow; a column whose values mix types is kept as JSON text, not a crash."""
    import pyarrow as pa

    if not rows:
        return pa.table(
            {
                "_pos": pa.array([], pa.int64()),
                "id": pa.array([], pa.string()),
                "question": pa.array([], pa.string()),
                "response": pa.array([], pa.string()),
            }
        )
    names = list(dict.fromkeys(["_pos", *(k for r in rows for k in r)]))
    columns = {}
    for name in names:
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array(
                [None if v is None else json.dumps(v, ensure_ascii=False) for v in values],
                pa.string(),
            )
    return pa.table(columns)


def normalize_types(table):
    """Give every chunk the same column types, so the output shards read back as one dataset:
    SyntheticSample fields take their declared type (text when the values do not fit it), and
    an all-null column of unknown type becomes text."""
    import pyarrow as pa

    from skyray.records import SyntheticSample

    schema = SyntheticSample.arrow_schema()
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        want = schema.field(name).type if name in schema.names else None
        if want is None and not pa.types.is_null(column.type):
            continue
        want = want or pa.string()
        if column.type == want:
            continue
        try:
            column = column.cast(want)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            column = column.cast(pa.string()) if not pa.types.is_nested(column.type) else column
        table = table.set_column(i, name, column)
    return table


def _read_parquet(chunk: Chunk) -> ChunkRows:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    pf = parquet_file(chunk.path)
    first_row = sum(pf.metadata.row_group(g).num_rows for g in range(chunk.start))
    table = pf.read_row_groups(list(range(chunk.start, chunk.end)))
    pos = (chunk.file_index << POS_BITS) + first_row + np.arange(table.num_rows, dtype=np.int64)
    table = table.add_column(0, "_pos", pa.array(pos, pa.int64()))
    if table.schema.field("id").type != pa.string():
        table = table.set_column(
            table.schema.get_field_index("id"), "id", pc.cast(table["id"], pa.string())
        )
    bad = pc.or_(pc.is_null(table["question"]), pc.is_null(table["response"]))
    bad = pc.or_(bad, pc.is_null(table["id"]))
    dropped = []
    if pc.any(bad).as_py():
        name = Path(chunk.path).name
        for row in table.filter(bad).select(["_pos", "id", "question", "response"]).to_pylist():
            row_id = row["id"] or f"{name}#{row['_pos'] - (chunk.file_index << POS_BITS)}"
            verdict = check_fields({**row, "id": row_id}) or ("format:null-id", "id is null")
            dropped.append(_drop(row["_pos"], row_id, *verdict))
        table = table.filter(pc.invert(bad))
    if "gold" in table.column_names and table.schema.field("gold").type != pa.string():
        table = table.set_column(
            table.schema.get_field_index("gold"), "gold", pc.cast(table["gold"], pa.string())
        )
    return ChunkRows(normalize_types(table), dropped)
