"""The OpenAI-compatible ASGI front ends over a backend: a Starlette app (uvicorn) and a Ray
Serve deployment. Both route ``/v1/models``, ``/v1/chat/completions``, ``/v1/completions``,
``/health`` and ``/stats`` (requests answered per route, for tests and benchmarks) through
:func:`skyray.serve.protocol.handle`; any route prefix before ``/v1`` is accepted. With an API
key (:mod:`skyray.serve.auth`) every route but ``/health`` needs ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from skyray.serve.auth import PUBLIC_ROUTES, authorized
from skyray.serve.protocol import error, handle, route_of


class OpenAIFrontend:
    """Backend + request counters; ``await frontend.dispatch(path, raw_body)`` -> (status, json)."""

    def __init__(self, backend, blocking: bool, key_sha256: str | None = None) -> None:
        self.backend = backend
        self.blocking = blocking  # run generation in a thread (slow backends)
        self.key_sha256 = key_sha256  # SHA-256 of the API key clients must send (None = open)
        self.counts: Counter[str] = Counter()

    async def dispatch(
        self, path: str, raw: bytes, authorization: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        if route_of(path) not in PUBLIC_ROUTES and not authorized(authorization, self.key_sha256):
            return error(401, "invalid or missing API key (Authorization: Bearer KEY)", "auth")
        if path.rstrip("/").endswith("/stats"):
            return 200, {"requests": dict(self.counts)}
        route = route_of(path)
        if route is None:
            return 404, {"error": {"message": f"no route {path}", "type": "not_found_error"}}
        body: Any = None
        if route in ("chat", "completions"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return 400, {"error": {"message": "body is not JSON", "type": "invalid_request"}}
        if self.blocking and route in ("chat", "completions"):
            status, out = await asyncio.to_thread(handle, self.backend, route, body)
        else:
            status, out = handle(self.backend, route, body)
        if status == 200:
            self.counts[route] += 1
        return status, out


def build_asgi_app(backend, blocking: bool = False, key_sha256: str | None = None):
    """A Starlette app serving ``backend`` (run it with uvicorn)."""
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    frontend = OpenAIFrontend(backend, blocking, key_sha256)

    async def endpoint(request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:  # the client gave up (timeout, cancelled task): nobody to answer
            return Response(status_code=499)
        auth = request.headers.get("authorization")
        status, out = await frontend.dispatch(request.url.path, raw, auth)
        return JSONResponse(out, status_code=status)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


def serve_deployment(cfg, key_sha256: str | None = None):
    """A bound Ray Serve application answering with the backend ``cfg`` describes."""
    from ray import serve
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    @serve.deployment(
        name="openai",
        num_replicas=cfg.num_replicas,
        max_ongoing_requests=cfg.max_ongoing_requests,
        ray_actor_options={"num_cpus": cfg.replica_num_cpus},
    )
    class OpenAIDeployment:
        def __init__(self, serve_cfg, digest: str | None) -> None:
            from skyray.llm.backends import make_backend

            self.frontend = OpenAIFrontend(
                make_backend(serve_cfg),
                serve_cfg.backend not in ("deterministic", "miniworld"),
                digest,
            )

        async def __call__(self, request: Request) -> JSONResponse:
            auth = request.headers.get("authorization")
            status, out = await self.frontend.dispatch(request.url.path, await request.body(), auth)
            return JSONResponse(out, status_code=status)

    return OpenAIDeployment.bind(cfg, key_sha256)
