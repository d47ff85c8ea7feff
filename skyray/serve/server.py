"""Start and stop an OpenAI-compatible server: ``skyray serve`` and a helper for tests.

Engines:

- ``ray`` (default): a Ray Serve application (``serve.start`` bound to ``host``, 127.0.0.1 by
  default); backends ``deterministic``, ``miniworld``, ``transformers`` (CPU) or ``vllm`` (Ray Serve LLM, GPU);
- ``uvicorn``: the same Starlette app in a child process, without Ray (lighter, for benchmarks
  and laptops); backends ``deterministic``, ``miniworld`` and ``transformers``.

In tests (one Ray cluster per session; Serve's HTTP port is fixed once it starts, so apps started
later in the same process share it and differ by route prefix)::

    from skyray.serve.server import ServeConfig, running_server
    cfg = ServeConfig(backend="transformers", model_path=str(tiny_model_dir),
                      model_name="tiny", app_name="tiny", route_prefix="/tiny")
    with running_server(cfg) as base_url:       # "http://127.0.0.1:<port>/tiny/v1"
        ...  # OpenAI clients: base_url=base_url, model="tiny", any API key

``start_server(cfg)`` returns a :class:`RunningServer` (``.base_url``, ``.stop()``) for
session fixtures. ``/stats`` next to ``/v1`` reports requests answered per route.

A port already in use is one :class:`~skyray.errors.ServeError` before anything is announced: the
uvicorn engine binds the socket here and hands it to its child, the Ray engine checks the port
before starting Serve. ``api_key_env`` and the non-loopback rule: :mod:`skyray.serve.auth`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from skyray.config import require
from skyray.errors import ServeError
from skyray.testing.miniworld.config import MiniWorldTeacherConfig

logger = logging.getLogger(__name__)
_SERVE_STATE: dict[str, int] = {}  # Serve HTTP port started by this process, and live app count


@dataclass(kw_only=True)
class ServeConfig:
    # deterministic: answers from known seeds; miniworld: the miniature world's teacher (new
    # problems, noise, planted leaks); transformers: a local causal LM; vllm: Ray Serve LLM (GPU)
    backend: Literal["deterministic", "miniworld", "transformers", "vllm"] = "deterministic"
    engine: Literal["ray", "uvicorn"] = "ray"  # Ray Serve, or a plain uvicorn child process
    model_name: str = ""  # served model id ("" = "deterministic" or the model folder's name)
    model_path: str = ""  # transformers/vllm: local folder or Hub id (vllm)
    seeds_path: str = ""  # deterministic: a seeds Parquet (Problem rows) it can answer
    seed_sources: list[str] = field(default_factory=list)  # deterministic: benchmark names too
    data_dir: str = ""  # benchmark data for seed_sources ("" = $SKYRAY_DATA_DIR)
    miniworld: MiniWorldTeacherConfig = field(default_factory=MiniWorldTeacherConfig)  # miniworld
    host: str = "127.0.0.1"  # bind address; expose beyond loopback only on purpose
    api_key_env: str = ""  # env var holding the API key clients send as Bearer ("" = no key)
    # serve a non-loopback host without an API key (refused otherwise; logged either way)
    allow_unauthenticated: bool = False
    port: int = 8000  # 0 = pick a free port
    app_name: str = "skyray-teacher"  # Ray Serve application name
    route_prefix: str = "/"  # Ray Serve route prefix (base URL = http://host:port<prefix>/v1)
    num_replicas: int = 1
    replica_num_cpus: float = 0.5  # fractional, so a 2-CPU node keeps room for other work
    max_ongoing_requests: int = 256  # per replica
    tensor_parallel_size: int = 1  # vllm only
    max_model_len: int = 4096  # vllm only
    startup_timeout_s: float = 180.0

    def __post_init__(self) -> None:
        require(self.port >= 0, "serve.port must be >= 0")
        require(self.route_prefix.startswith("/"), "serve.route_prefix must start with '/'")
        require(self.num_replicas >= 1, "serve.num_replicas must be >= 1")
        if self.backend in ("transformers", "vllm"):
            require(bool(self.model_path), f"serve.model_path is required for {self.backend}")
        if self.backend == "vllm":
            require(self.engine == "ray", "the vllm backend runs on Ray Serve (engine: ray)")
            require(
                not self.api_key_env,
                "serve.api_key_env is not supported by the vllm backend (Ray Serve LLM)",
            )
        require(
            "=" not in self.api_key_env and not self.api_key_env.startswith("sk-"),
            "serve.api_key_env names an environment variable, not the key itself",
        )
        if self.backend == "deterministic":
            require(
                bool(self.seeds_path or self.seed_sources),
                "the deterministic backend needs seeds_path or seed_sources to answer from",
            )

    @property
    def served_model_name(self) -> str:
        if self.model_name:
            return self.model_name
        if self.backend in ("deterministic", "miniworld"):
            return self.backend
        return Path(self.model_path.rstrip("/")).name


@dataclass
class RunningServer:
    base_url: str  # ".../v1", ready for the openai SDK
    cfg: ServeConfig
    process: subprocess.Popen | None = None
    api_key: str | None = None  # what clients send as Bearer (None = no key needed)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            return
        _stop_ray_app(self.cfg.app_name)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_server(cfg: ServeConfig, address: str | None = None) -> RunningServer:
    """Start the server ``cfg`` describes and wait until ``/v1/models`` answers."""
    from skyray.serve.auth import api_key, check_exposure, key_digest

    key = api_key(cfg.api_key_env)
    check_exposure(cfg.host, cfg.port, key, cfg.allow_unauthenticated)
    if cfg.engine == "uvicorn":
        server = _start_uvicorn(cfg, key_digest(key))
    else:
        server = _start_ray(cfg, address, key_digest(key))
    server.api_key = key
    _wait_ready(server, cfg.startup_timeout_s)
    return server


@contextlib.contextmanager
def running_server(cfg: ServeConfig, address: str | None = None) -> Iterator[str]:
    """Context manager: start, yield the base URL (``.../v1``), stop."""
    server = start_server(cfg, address)
    try:
        yield server.base_url
    finally:
        server.stop()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0 = a free port); a port in use is a ServeError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn and Serve do
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"serve: cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(another server holds the port? choose another port=, or port=0 for a free one)"
        ) from None
    return sock


def _start_uvicorn(cfg: ServeConfig, key_sha256: str | None) -> RunningServer:
    # bind here, then hand the socket to the child: a busy port fails before anything is
    # announced, and no other server can take the port between the check and the bind
    sock = bind_socket(cfg.host, cfg.port)
    port = int(sock.getsockname()[1])
    spec = json.dumps(
        {"config": asdict(cfg) | {"port": port}, "fd": sock.fileno(), "key_sha256": key_sha256}
    )
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "skyray.serve.uvicorn_main", spec],
            stdin=subprocess.DEVNULL,
            pass_fds=(sock.fileno(),),
        )
    finally:
        sock.close()  # the child holds its own copy
    return RunningServer(f"http://{cfg.host}:{port}/v1", cfg, process)


def _start_ray(cfg: ServeConfig, address: str | None, key_sha256: str | None) -> RunningServer:
    if "port" not in _SERVE_STATE and cfg.port:
        bind_socket(cfg.host, cfg.port).close()  # busy: one line before Ray even starts
    from ray import serve

    from skyray.cluster import init_ray

    init_ray(address=address)
    if "port" not in _SERVE_STATE:
        port = cfg.port or free_port(cfg.host)
        try:
            serve.start(http_options={"host": cfg.host, "port": port})
        except Exception as exc:  # Serve's own start-up errors, as one line
            _shutdown_quietly(serve)  # no half-started Serve left for the next start to join
            raise ServeError(
                f"serve: Ray Serve did not start on {cfg.host}:{port}: {exc}"
            ) from None
        _SERVE_STATE.update(port=port, apps=0)
    elif cfg.port and cfg.port != _SERVE_STATE["port"]:
        logger.warning("Ray Serve already listens on port %s; using it", _SERVE_STATE["port"])
    if cfg.backend == "vllm":
        from skyray.serve.llm import build_llm_app

        app = build_llm_app(cfg)
    else:
        from skyray.serve.app import serve_deployment

        app = serve_deployment(cfg, key_sha256)
    serve.run(app, name=cfg.app_name, route_prefix=cfg.route_prefix, blocking=False)
    _SERVE_STATE["apps"] += 1
    prefix = cfg.route_prefix.rstrip("/")
    return RunningServer(f"http://{cfg.host}:{_SERVE_STATE['port']}{prefix}/v1", cfg)


def _shutdown_quietly(serve: Any) -> None:
    try:
        serve.shutdown()
    except Exception as exc:  # already broken: the start-up error is the one to report
        logger.debug("serve.shutdown after a failed start: %s", exc)


def _stop_ray_app(app_name: str) -> None:
    from ray import serve

    serve.delete(app_name)
    _SERVE_STATE["apps"] = _SERVE_STATE.get("apps", 1) - 1
    if _SERVE_STATE["apps"] <= 0:  # last app: free the port so a later start may pick another
        serve.shutdown()
        _SERVE_STATE.clear()


def _wait_ready(server: RunningServer, timeout_s: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    last = ""
    headers = {"Authorization": f"Bearer {server.api_key}"} if server.api_key else {}
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise ServeError(
                f"serve: the server process exited with code {server.process.returncode} "
                "before answering (its error is above)"
            )
        try:
            resp = httpx.get(server.base_url + "/models", headers=headers, timeout=5.0)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    server.stop()
    raise ServeError(f"serve: {server.base_url} not ready after {timeout_s:.0f} s ({last})")
