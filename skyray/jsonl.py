"""Reading JSONL files whose errors name the file and line.

Every JSONL input of SkyRay (benchmarks, predictions, evaluation items, verifier input) goes
through :func:`iter_jsonl`, so a bad line always reads ``path:line: what is wrong``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_jsonl(
    path: str | Path, error: type[Exception] = ValueError
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` for each non-blank line, ``where`` being ``path:line``.

    A line that is not UTF-8 JSON, or not an object, raises ``error`` naming file and line."""
    path = Path(path)
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise error(f"{where}: not valid UTF-8 JSON ({exc})") from None
            if not isinstance(obj, dict):
                raise error(f"{where}: expected a JSON object")
            yield where, obj
