"""Child-process entry of the ``uvicorn`` engine: ``python -m skyray.serve.uvicorn_main '<json>'``
where the JSON is a :class:`~skyray.serve.server.ServeConfig`."""

from __future__ import annotations

import json
import sys


def main(spec: str) -> None:
    import uvicorn

    from skyray.config import from_dict
    from skyray.serve.app import build_asgi_app
    from skyray.serve.backends import make_backend
    from skyray.serve.server import ServeConfig

    cfg = from_dict(ServeConfig, json.loads(spec))
    app = build_asgi_app(make_backend(cfg), blocking=cfg.backend != "deterministic")
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1])
