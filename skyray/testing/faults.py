"""A fault-injecting HTTP proxy for reliability tests and benchmarks (loopback only).

It forwards HTTP/1.1 requests to an upstream server and, for a fraction ``fault_rate`` of them,
answers with a fault instead (chosen from ``kinds``):

- ``"429"``: Too Many Requests with ``Retry-After: <retry_after_s>``;
- ``"500"``, ``"503"``: server errors;
- ``"drop"``: the connection is closed without a reply;
- ``"stall"``: nothing is sent for ``stall_s`` seconds (past the client's timeout), then close;
- ``"truncate"``: the upstream's 200 reply cut to half its body (invalid JSON).

``latency_s`` delays every forwarded request (a slow teacher); ``require_key`` answers 401 to
requests without ``Authorization: Bearer <key>``. ``stats`` counts requests, faults by kind and
the in-flight peak and time-average; with ``record`` it keeps the teacher-cache key of every
forwarded request (``sent_keys``). Run it in a background thread::

    with FaultProxy(upstream="http://127.0.0.1:8000", fault_rate=0.25) as proxy:
        base_url = proxy.url + "/v1"
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "503", "drop", "stall", "truncate")
_REASONS = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass
class ProxyStats:
    requests: int = 0  # requests received
    forwarded: int = 0  # requests passed to the upstream
    faults: Counter[str] = field(default_factory=Counter)
    max_in_flight: int = 0
    in_flight: int = 0
    _area: float = 0.0  # integral of in_flight over time
    _since: float = field(default_factory=time.monotonic)
    _last: float = field(default_factory=time.monotonic)

    def change(self, delta: int) -> None:
        now = time.monotonic()
        self._area += self.in_flight * (now - self._last)
        self._last = now
        self.in_flight += delta
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def mean_in_flight(self, since: float | None = None) -> float:
        self.change(0)
        return self._area / max(1e-9, self._last - (since or self._since))

    def reset_window(self) -> None:
        self.change(0)
        self._area, self._since, self.max_in_flight = 0.0, time.monotonic(), self.in_flight


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        fault_rate: float = 0.0,
        kinds: tuple[str, ...] = FAULT_KINDS,
        seed: int = 0,
        latency_s: float = 0.0,
        stall_s: float = 3.0,
        retry_after_s: float = 0.2,
        require_key: str | None = None,
        host: str = "127.0.0.1",
        record: bool = False,
    ) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not 0 <= fault_rate <= 1:
            raise ValueError(f"bad fault settings: rate {fault_rate}, unknown kinds {unknown}")
        self.upstream = upstream.rstrip("/")
        self.fault_rate, self.kinds, self.rng = fault_rate, kinds, random.Random(seed)
        self.latency_s, self.stall_s, self.retry_after_s = latency_s, stall_s, retry_after_s
        self.require_key, self.host, self.port = require_key, host, 0
        self.stats = ProxyStats()
        self.record = record
        self.sent_keys: list[str] = []  # cache keys of forwarded requests (when ``record``)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ----- lifecycle ------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, daemon=True, name="fault-proxy")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        import httpx

        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        limits = httpx.Limits(max_connections=1024, max_keepalive_connections=256)
        async with httpx.AsyncClient(timeout=600, limits=limits) as client:
            self._client = client
            server = await asyncio.start_server(self._serve_connection, self.host, 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            async with server:
                await self._stop_event.wait()

    # ----- one connection ---------------------------------------------------------------------
    async def _serve_connection(self, reader, writer) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # client went away, or the proxy is stopping
        except Exception:  # upstream failed, or its client closed at shutdown: drop the line
            pass
        finally:
            writer.close()

    async def _answer(self, request, writer) -> bool:
        """Handle one request; False when the connection must be closed."""
        method, path, headers, body = request
        self.stats.requests += 1
        self.stats.change(+1)
        try:
            if self.require_key and headers.get("authorization") != f"Bearer {self.require_key}":
                await _write(writer, 401, b'{"error": {"message": "invalid api key"}}')
                return True
            kind = self._pick_fault(path)
            if kind:
                self.stats.faults[kind] += 1
            if kind in ("429", "500", "503"):
                extra = {"Retry-After": f"{self.retry_after_s:g}"} if kind == "429" else {}
                await _write(writer, int(kind), b'{"error": {"message": "injected"}}', extra)
                return True
            if kind == "drop":
                return False
            if kind == "stall":
                await asyncio.sleep(self.stall_s)
                return False
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            self.stats.forwarded += 1
            if self.record:
                self.sent_keys.append(_cache_key(body))
            forward = {k: v for k, v in headers.items() if k not in ("host", "content-length")}
            resp = await self._client.request(
                method, self.upstream + path, headers=forward, content=body
            )
            content = resp.content
            if kind == "truncate" and resp.status_code == 200:
                content = content[: len(content) // 2]
            await _write(writer, resp.status_code, content)
            return True
        finally:
            self.stats.change(-1)

    def _pick_fault(self, path: str) -> str | None:
        if "/completions" not in path or self.rng.random() >= self.fault_rate:
            return None
        return self.rng.choice(self.kinds)


def _cache_key(body: bytes) -> str:
    """The teacher cache's key for a forwarded request body (to check what was resent)."""
    import json

    from skyray.llm.cache import request_key
    from skyray.llm.types import SAMPLING_KEYS

    data = json.loads(body or b"{}")
    sampling = {k: data[k] for k in SAMPLING_KEYS if data.get(k) is not None}
    return request_key(
        data.get("model", ""), data.get("messages", data.get("prompt", "")), sampling
    )


async def _read_request(reader):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


async def _write(writer, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (extra or {}).items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
