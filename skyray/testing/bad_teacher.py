"""A tiny OpenAI-shaped HTTP server on 127.0.0.1 that answers HTTP 200 with broken replies (tests).

Modes (``server.mode``, changeable while it runs):

- ``"garbage"``: a body that is not JSON;
- ``"no-choices"``: ``{"choices": []}``;
- ``"null-content"``: one choice whose ``message.content`` (or ``text``) is null;
- ``"forward"``: every request passed to ``upstream`` unchanged (the teacher "fixed").

``/v1/models`` always lists ``model``, so clients pass their start-up check::

    with BadTeacher("no-choices", upstream=teacher_url) as bad:
        ...  # base_url = bad.base_url
        bad.mode = "forward"
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("garbage", "no-choices", "null-content", "forward")


class BadTeacher:
    def __init__(self, mode: str, upstream: str = "", model: str = "deterministic") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode, self.upstream, self.model = mode, upstream.rstrip("/"), model
        self.requests = 0  # completion requests answered
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> BadTeacher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def reply(self, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body) for a POST to ``path``."""
        self.requests += 1
        if self.mode == "forward":
            import httpx

            resp = httpx.post(
                self.upstream + path.split("/v1", 1)[1],
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=60,
            )
            return resp.status_code, resp.content
        if self.mode == "garbage":
            return 200, b"<html>teacher overloaded</html>"
        if self.mode == "no-choices":
            return 200, json.dumps({"id": "x", "object": "chat.completion", "choices": []}).encode()
        chat = path.endswith("/chat/completions")
        choice = {"index": 0, "finish_reason": "stop"}
        choice |= {"message": {"role": "assistant", "content": None}} if chat else {"text": None}
        return 200, json.dumps(
            {"id": "x", "object": "chat.completion", "choices": [choice]}
        ).encode()


def _handler(owner: BadTeacher):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet: tests read the client's output
            pass

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            models = {"object": "list", "data": [{"id": owner.model, "object": "model"}]}
            self._send(200, json.dumps(models).encode())

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(*owner.reply(self.path, body))

    return Handler
