"""Child-process entry of the ``uvicorn`` engine: ``python -m skyray.serve.uvicorn_main '<json>'``
where the JSON holds ``config`` (a :class:`~skyray.serve.server.ServeConfig`), ``fd`` (the
listening socket the parent bound and passed down) and ``key_sha256`` (None = no API key)."""

from __future__ import annotations

import json
import socket
import sys


def main(spec: str) -> None:
    import uvicorn

    from skyray.config import from_dict
    from skyray.llm.backends import make_backend
    from skyray.serve.app import build_asgi_app
    from skyray.serve.server import ServeConfig

    data = json.loads(spec)
    cfg = from_dict(ServeConfig, data["config"])
    app = build_asgi_app(
        make_backend(cfg),
        blocking=cfg.backend not in ("deterministic", "miniworld"),
        key_sha256=data["key_sha256"],
    )
    sock = socket.socket(fileno=data["fd"])  # already bound and listening
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1])
