"""Shared shape of the JSONL-backed benchmark loaders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from skyray.data.benchmarks.base import SkipRow, read_jsonl, skip_or
from skyray.records import Problem

RowParser = Callable[[int, dict[str, Any], str], Problem | None]


def jsonl_loader(parse_row: RowParser) -> Callable[[Path], Iterator[Problem | SkipRow]]:
    """Loader calling ``parse_row(index, obj, where)`` per line (index is 0-based, ``where`` is
    ``file:line`` for error messages); rows for which it returns None are not part of the set; a
    SkipRow it raises is yielded so the caller can count it."""

    def load(path: Path) -> Iterator[Problem | SkipRow]:
        for index, (where, obj) in enumerate(read_jsonl(path)):
            problem = skip_or(parse_row, index, obj, where)
            if problem is not None:
                yield problem

    return load
