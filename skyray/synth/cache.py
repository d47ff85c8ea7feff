"""On-disk response cache: a teacher request is sent at most once per run folder.

The key is the SHA-256 of (model, messages or prompt, sampling params) as canonical JSON, see
:func:`request_key`. Entries live in one SQLite file in WAL mode, so several processes (Ray actors
of one job) can share it, and a SIGKILL of the writer loses at most the request in flight: each
``put`` is its own committed transaction. Only successful completions are stored; a failed
request is retried on the next run.

Usage::

    cache = ResponseCache(run_dir / "step-2-synth" / "cache.sqlite")
    hit = cache.get(key)          # dict or None
    cache.put(key, {"text": ..., "prompt_tokens": 3, ...})
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any


def request_key(model: str, messages: list[dict] | str, sampling: dict[str, Any]) -> str:
    """Hash of everything that determines a teacher's answer."""
    blob = json.dumps(
        {"model": model, "input": messages, "sampling": sampling},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """Key -> JSON value store in SQLite (thread-safe within a process, safe across processes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a committed row survives a process kill (the OS has it); only power loss
        # may drop the last transactions, which are then simply requested again
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT)"
        )
        self._conn.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        blob = json.dumps(value, ensure_ascii=False)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)", (key, blob)
            )
            self._conn.commit()

    def keys(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._conn.execute("SELECT key FROM responses")}

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __getstate__(self) -> dict[str, Any]:  # ship the path to Ray actors, not the connection
        return {"path": str(self.path)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]
