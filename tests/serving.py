"""``skyray serve``'s uvicorn engine on 127.0.0.1 for tests: one helper for every fixture that
needs a real OpenAI-compatible server (the tiny model, the deterministic student)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def uvicorn_server(**fields: Any) -> Iterator[str]:
    """Serve ``ServeConfig(engine="uvicorn", port=0, **fields)`` on a free port; yields its
    base URL once and stops the server after (a fixture's body: ``yield from``)."""
    from skyray.serve.server import ServeConfig, start_server

    running = start_server(ServeConfig(engine="uvicorn", port=0, **fields))
    try:
        yield running.base_url
    finally:
        running.stop()
