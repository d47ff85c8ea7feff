"""A real OpenAI-compatible server for the eval tests: ``skyray serve``'s uvicorn engine serving
the tiny model through transformers on 127.0.0.1 (one per session, stopped at the end)."""

from __future__ import annotations

import pytest

from tests.serving import uvicorn_server


@pytest.fixture(scope="session")
def tiny_server(tiny_model_dir):
    yield from uvicorn_server(
        backend="transformers", model_path=str(tiny_model_dir), model_name="tiny"
    )
