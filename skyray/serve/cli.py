"""``skyray serve``: an OpenAI-compatible teacher/model server on Ray Serve (or uvicorn).

    skyray serve --config configs/local/serve.yaml                  # deterministic teacher
    skyray serve backend=transformers model_path=/models/tiny       # CPU transformers model
    skyray serve --config configs/gpu/serve-vllm.yaml               # vLLM replicas (GPU)

Binds 127.0.0.1 unless ``host=`` says otherwise; runs until Ctrl-C. ``api_key_env=VAR`` makes
clients send ``$VAR`` as a Bearer token (401 otherwise); a non-loopback host is refused without a
key unless ``--insecure`` (``allow_unauthenticated=true``). A busy port is one line, exit 1, and
nothing is announced before the port is bound.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="start an OpenAI-compatible server (Ray Serve)")
    parser.add_argument("--config", default=None, help="serve YAML (stage: serve)")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: local)")
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback host without an API key (allow_unauthenticated=true)",
    )
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    parser.set_defaults(func=_serve)


def _serve(args) -> int:
    import sys
    import time

    from skyray.config import load_config
    from skyray.serve.server import ServeConfig, start_server

    overrides = [*args.overrides, *(["allow_unauthenticated=true"] if args.insecure else [])]
    cfg = load_config(ServeConfig, args.config, overrides)
    server = start_server(cfg, address=args.address)
    key = f"API key from ${cfg.api_key_env} as Bearer" if server.api_key else "any API key"
    print(f"serving {cfg.served_model_name!r} ({cfg.backend}, {cfg.engine}) at {server.base_url}")
    print(f"OpenAI clients: base_url={server.base_url}, {key}; Ctrl-C to stop", flush=True)
    code = 0
    try:
        while server.process is None or server.process.poll() is None:
            time.sleep(1.0)
        code = server.process.returncode or 0  # the server died on its own: not a success
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    if code:
        print(f"skyray: error: serve: the server exited with code {code}", file=sys.stderr)
        return 1
    return 0
