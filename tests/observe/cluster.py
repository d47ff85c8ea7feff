"""A private Ray head node for tests (``ray start --head --block`` in its own temp dir, on free
ports, token auth off) and a Prometheus-style scraper of its metrics endpoint.

The head is stopped by terminating the ``ray start --block`` process this helper started: Ray
then stops the processes of that node only (never a global ``ray stop``)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from tests.cli import free_port

SERIES = re.compile(r"^(ray_skyray_[A-Za-z0-9_]+)\{(.*)\} (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class RayHead:
    def __init__(self, num_cpus: int = 2, report_interval_ms: int = 1000, attempts: int = 3):
        self.num_cpus, self.report_interval_ms = num_cpus, report_interval_ms
        for attempt in range(attempts):  # Ray gives a raylet 30 s to register: busy machines
            try:
                self._start()
                return
            except RuntimeError:
                if attempt == attempts - 1:
                    raise

    def _start(self) -> None:
        # a short path: Ray's unix sockets live under it (107-byte limit)
        self.temp_dir = Path(tempfile.mkdtemp(prefix="skyray-obs-", dir="/tmp"))
        self.port = free_port()
        self.metrics_port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "RAY_TMPDIR": str(self.temp_dir),
            "RAY_AUTH_MODE": "disabled",
            "RAY_USAGE_STATS_ENABLED": "0",
        }
        ray_bin = Path(sys.executable).with_name("ray")
        cmd = [
            str(ray_bin),
            "start",
            "--head",
            "--block",
            f"--temp-dir={self.temp_dir}",
            "--node-ip-address=127.0.0.1",
            f"--port={self.port}",
            f"--num-cpus={self.num_cpus}",
            "--include-dashboard=false",
            f"--dashboard-port={free_port()}",  # checked even without a dashboard
            f"--metrics-export-port={self.metrics_port}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}",
            f"--node-manager-port={free_port()}",
            f"--object-manager-port={free_port()}",
            f"--ray-client-server-port={free_port()}",
            "--object-store-memory=300000000",
            f'--system-config={{"metrics_report_interval_ms": {self.report_interval_ms}}}',
        ]
        self.log = (self.temp_dir / "ray-start.log").open("w")
        self.proc = subprocess.Popen(
            cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            self._wait_ready(timeout_s=180)
        except RuntimeError:
            self.stop()
            raise

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.temp_dir / "ray-start.log").read_text()[-1500:]
                raise RuntimeError(f"ray start exited with {self.proc.returncode}: {tail}")
            # `ray start` says so once the raylet registered with the GCS (a driver joining
            # earlier fails at once with "Failed to connect to Ray cluster")
            started = "Ray runtime started" in (self.temp_dir / "ray-start.log").read_text()
            try:
                urllib.request.urlopen(self.metrics_url, timeout=5).read()
                with socket.create_connection(("127.0.0.1", self.port), timeout=5):
                    if started:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError("the test Ray head did not come up")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this helper started
                self.proc.wait(timeout=30)
        self.log.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def parse_series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``ray_skyray_*`` series of a Prometheus text page: (name, labels) -> value."""
    out = {}
    for line in text.splitlines():
        match = SERIES.match(line)
        if match:
            labels = tuple(sorted(LABEL.findall(match.group(2))))
            out[(match.group(1), labels)] = float(match.group(3))
    return out


class Scraper:
    """Scrapes the endpoint every ``interval_s`` as Prometheus would and keeps the last value
    of every series it ever saw (a series of a finished process leaves the endpoint later)."""

    def __init__(self, url: str, interval_s: float = 0.5) -> None:
        self.url, self.interval_s = url, interval_s
        self.seen: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def scrape(self) -> None:
        text = urllib.request.urlopen(self.url, timeout=10).read().decode()
        self.seen.update(parse_series(text))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.scrape()
            except OSError:
                pass
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def series(self, name: str, **match: str) -> list[tuple[dict[str, str], float]]:
        """Every series of ``name`` whose labels include ``match``."""
        out = []
        for (n, labels), value in list(self.seen.items()):
            found = dict(labels)
            if n == name and all(found.get(k) == v for k, v in match.items()):
                out.append((found, value))
        return out

    def total(self, name: str, **match: str) -> float:
        """A counter summed over the processes that reported it (0 when never reported)."""
        return sum(v for _, v in self.series(name, **match))

    def gauge(self, name: str, **match: str) -> set[float]:
        """The distinct values of a gauge over the processes that set it."""
        return {v for _, v in self.series(name, **match)}

    def label_values(self, name: str, key: str, **match: str) -> Iterable[str]:
        return sorted({labels.get(key, "") for labels, _ in self.series(name, **match)})
