"""The OpenAI HTTP protocol over a :class:`~skyray.llm.backends.Backend`, as pure functions.

``handle(backend, route, body) -> (status, json)`` for ``route`` in ``"models"``, ``"chat"``
(``POST /v1/chat/completions``) and ``"completions"`` (``POST /v1/completions``). Errors use the
OpenAI error shape ``{"error": {"message", "type", "code"}}``: 400 for a malformed request,
404 for an unknown model. ``n`` > 1 returns n choices (seeds ``seed``, ``seed+1``, ...). Both the
uvicorn app and the Ray Serve deployment in :mod:`skyray.serve.app` call this.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from skyray.llm.backends import Backend

SAMPLING = ("temperature", "top_p", "max_tokens", "seed", "stop")
ROUTES = {
    "/v1/models": "models",
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/health": "health",
}


def route_of(path: str) -> str | None:
    """The route for a request path (any route prefix before ``/v1`` is allowed)."""
    for suffix, route in ROUTES.items():
        if path.rstrip("/").endswith(suffix):
            return route
    return None


def error(status: int, message: str, kind: str = "invalid_request_error") -> tuple[int, dict]:
    return status, {"error": {"message": message, "type": kind, "code": status}}


def handle(backend: Backend, route: str, body: Any) -> tuple[int, dict[str, Any]]:
    if route == "health":
        return 200, {"status": "ok"}
    if route == "models":
        return 200, {
            "object": "list",
            "data": [{"id": backend.model_name, "object": "model", "owned_by": "skyray"}],
        }
    if not isinstance(body, dict):
        return error(400, "request body must be a JSON object")
    if body.get("model") != backend.model_name:
        return error(404, f"model {body.get('model')!r} not found", "not_found_error")
    if body.get("stream"):
        return error(400, "stream=true is not supported by this server")
    sampling = {k: body[k] for k in SAMPLING if body.get(k) is not None}
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 16:
        return error(400, "n must be an integer in 1..16")
    if route == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            return error(400, "messages must be a list of {role, content} objects")
        call = lambda s: backend.chat(messages, s)  # noqa: E731
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            return error(400, "prompt must be a string")
        call = lambda s: backend.complete(prompt, s)  # noqa: E731
    choices, prompt_tokens, completion_tokens = [], 0, 0
    for i in range(n):
        params = dict(sampling, seed=int(sampling.get("seed") or 0) + i) if n > 1 else sampling
        try:
            result = call(params)
        except ValueError as exc:
            return error(400, str(exc))
        prompt_tokens = result.prompt_tokens
        completion_tokens += result.completion_tokens
        if route == "chat":
            choice = {"message": {"role": "assistant", "content": result.text}}
        else:
            choice = {"text": result.text, "logprobs": None}
        choices.append({"index": i, "finish_reason": result.finish_reason, **choice})
    return 200, {
        "id": f"{'chatcmpl' if route == 'chat' else 'cmpl'}-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion" if route == "chat" else "text_completion",
        "created": int(time.time()),
        "model": backend.model_name,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
