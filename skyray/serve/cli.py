"""``skyray serve``: an OpenAI-compatible teacher/model server on Ray Serve (or uvicorn).

    skyray serve --config configs/local/serve.yaml                  # deterministic teacher
    skyray serve backend=transformers model_path=/models/tiny       # CPU transformers model
    skyray serve --config configs/gpu/serve-vllm.yaml               # vLLM replicas (GPU)

Binds 127.0.0.1 unless ``host=`` says otherwise; runs until Ctrl-C.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="start an OpenAI-compatible server (Ray Serve)")
    parser.add_argument("--config", default=None, help="serve YAML (stage: serve)")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: local)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    parser.set_defaults(func=_serve)


def _serve(args) -> int:
    import time

    from skyray.config import load_config
    from skyray.serve.server import ServeConfig, start_server

    cfg = load_config(ServeConfig, args.config, args.overrides)
    server = start_server(cfg, address=args.address)
    print(f"serving {cfg.served_model_name!r} ({cfg.backend}, {cfg.engine}) at {server.base_url}")
    print(f"OpenAI clients: base_url={server.base_url}, any API key; Ctrl-C to stop", flush=True)
    try:
        while server.process is None or server.process.poll() is None:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
