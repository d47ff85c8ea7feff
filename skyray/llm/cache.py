"""Teacher response cache: a request is sent at most once per step, across nodes and jobs.

The key is the SHA-256 of (model, messages or prompt, sampling params) as canonical JSON, see
:func:`request_key`. The cache is a folder (a local path on shared storage or a URI such as
``s3://bucket/run/step-2-synth/cache``) of append-only *segments*, one per writing process:
no two processes ever write the same file, so many workers on many nodes write at once without
locks, and a reader merges every segment it finds (entries are deterministic per key, so
duplicates are harmless).

- On a filesystem a segment is one JSON-lines file; each ``put`` appends a line and flushes it
  to the OS, so a SIGKILL of the writer loses at most the request in flight (a torn last line
  is skipped on read).
- On an object store (no appends) each ``put`` writes a new immutable segment object holding
  that one entry; :meth:`ResponseCache.compact` (run by the synthesis step when it finishes,
  when no worker writes) merges the segments into one and totals the tokens of every stored
  reply (the step's whole spend, for its manifest).

Only successful completions are stored; a failed request is retried on the next run. Every
cache opened on a folder loads what that folder held at that moment plus its own writes.

Usage::

    cache = ResponseCache(step_dir / "cache")          # or "s3://bucket/run/step-2-synth/cache"
    hit = cache.get(key)          # dict or None
    cache.put(key, {"text": ..., "prompt_tokens": 3, ...})
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

SEGMENT_PREFIX = "seg-"  # seg-<host>-<pid>-<random>[-<n>].jsonl, seg-merged-<random>.jsonl


def request_key(model: str, messages: list[dict] | str, sampling: dict[str, Any]) -> str:
    """Hash of everything that determines a teacher's answer."""
    blob = json.dumps(
        {"model": model, "input": messages, "sampling": sampling},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _index(blob: bytes, segment: str, into: dict[str, tuple[str, int, int]]) -> None:
    """Key -> (segment, offset, length) of every whole entry line in ``blob``."""
    offset = 0
    for line in blob.splitlines(keepends=True):
        try:
            key = json.loads(line)["k"]
        except (ValueError, KeyError, TypeError):
            key = None  # a line torn by a kill mid-write
        if isinstance(key, str):
            into[key] = (segment, offset, len(line))
        offset += len(line)


class ResponseCache:
    """Key -> JSON value store over append-only segments (safe across processes and nodes).

    Memory holds only an index (key -> segment, offset, length); a hit reads its one line."""

    def __init__(self, path: str | Path) -> None:
        from skyray.storage import filesystem, is_uri

        self.path = str(path)
        self._remote = is_uri(self.path)
        self._fs, self._root = filesystem(self.path)
        self._lock = threading.Lock()
        self._segment = _segment_name()
        self._written = 0
        self._handle = None
        if not self._remote:
            Path(self._root).mkdir(parents=True, exist_ok=True)
        self._index = self._load()

    @property
    def remote(self) -> bool:
        """True on an object store: reads and writes are network round trips."""
        return self._remote

    # ----- reading ----------------------------------------------------------------------------
    def _segments(self) -> list[str]:
        """Paths of every segment in the folder (within its filesystem)."""
        from pyarrow import fs as pafs

        selector = pafs.FileSelector(self._root, allow_not_found=True)
        return sorted(
            info.path
            for info in self._fs.get_file_info(selector)
            if info.type == pafs.FileType.File
            and info.base_name.startswith(SEGMENT_PREFIX)
            and info.base_name.endswith(".jsonl")
        )

    def _load(self) -> dict[str, tuple[str, int, int]]:
        index: dict[str, tuple[str, int, int]] = {}
        for segment in self._segments():
            try:
                with self._fs.open_input_stream(segment) as handle:
                    _index(handle.read(), segment, index)
            except FileNotFoundError:
                continue  # merged away by a compaction meanwhile
        return index

    def _read(self, where: tuple[str, int, int]) -> dict[str, Any]:
        segment, offset, length = where
        if self._remote:
            with self._fs.open_input_file(segment) as handle:
                line = handle.read_at(length, offset)
        else:
            with open(segment, "rb") as handle:
                handle.seek(offset)
                line = handle.read(length)
        return json.loads(line)["v"]

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            where = self._index.get(key)
        return self._read(where) if where is not None else None

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._index)

    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    # ----- writing ----------------------------------------------------------------------------
    def put(self, key: str, value: dict[str, Any]) -> None:
        line = _line(key, value)
        with self._lock:
            if self._remote:  # one immutable object per entry (object stores cannot append)
                self._written += 1
                segment = f"{self._root}/{self._segment}-{self._written:08d}.jsonl"
                with self._fs.open_output_stream(segment) as out:
                    out.write(line)
                self._index[key] = (segment, 0, len(line))
                return
            if self._handle is None:
                segment = f"{self._root}/{self._segment}.jsonl"
                self._handle = open(segment, "ab")  # noqa: SIM115 - held open across puts
            offset = self._handle.tell()
            self._handle.write(line)
            self._handle.flush()  # in the OS now: survives a SIGKILL of this process
            self._index[key] = (self._handle.name, offset, len(line))

    def compact(self) -> dict[str, int]:
        """Merge every segment into one and total what the stored replies hold; call only when
        no other process writes (the synthesis step does, after its workers stopped).

        Returns ``{"entries", "prompt_tokens", "completion_tokens"}`` over every reply the folder
        holds: everything the step was ever answered, whichever run paid for it."""
        with self._lock:
            self._close_handle()
            segments = self._segments()
            lines: dict[str, bytes] = {}
            for segment in segments:
                with self._fs.open_input_stream(segment) as handle:
                    blob = handle.read()
                found: dict[str, tuple[str, int, int]] = {}
                _index(blob, segment, found)
                for key, (_, offset, length) in found.items():
                    lines[key] = blob[offset : offset + length]
            totals = {"entries": len(lines), "prompt_tokens": 0, "completion_tokens": 0}
            for line in lines.values():
                value = json.loads(line)["v"]
                totals["prompt_tokens"] += int(value.get("prompt_tokens") or 0)
                totals["completion_tokens"] += int(value.get("completion_tokens") or 0)
            if len(segments) > 1:
                self._index = self._write_merged(lines)
                for segment in segments:  # only once the merged segment is complete
                    self._fs.delete_file(segment)
            return totals

    def _write_merged(self, lines: dict[str, bytes]) -> dict[str, tuple[str, int, int]]:
        merged = f"{self._root}/{SEGMENT_PREFIX}merged-{uuid.uuid4().hex[:12]}.jsonl"
        index, offset = {}, 0
        with self._fs.open_output_stream(merged) as out:
            for key, line in lines.items():
                out.write(line)
                index[key] = (merged, offset, len(line))
                offset += len(line)
        return index

    def _close_handle(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self._segment = _segment_name()  # later puts go to a new segment

    def close(self) -> None:
        with self._lock:
            self._close_handle()

    def __getstate__(self) -> dict[str, Any]:  # ship the path to Ray actors, not the index
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]


def _line(key: str, value: dict[str, Any]) -> bytes:
    entry = {"k": key, "v": value}
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _segment_name() -> str:
    """A name no other process uses: host, pid and a random part."""
    return f"{SEGMENT_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
