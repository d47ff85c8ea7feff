"""A real OpenAI-compatible server for the eval tests: ``skyray serve``'s uvicorn engine serving
the tiny model through transformers on 127.0.0.1 (one per session, stopped at the end)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_server(tiny_model_dir):
    from skyray.serve.server import ServeConfig, start_server

    cfg = ServeConfig(
        backend="transformers",
        engine="uvicorn",
        model_path=str(tiny_model_dir),
        model_name="tiny",
        port=0,
    )
    running = start_server(cfg)
    yield running.base_url
    running.stop()
