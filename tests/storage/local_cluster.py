"""A real ``ray start --head`` cluster on 127.0.0.1 for job-submission tests, isolated from any
other cluster on the machine: its own temp dir (``--temp-dir`` and ``RAY_TMPDIR``, so
``/tmp/ray/ray_current_cluster`` is never rewritten), free ports for every server, its own
auth token (``RAY_AUTH_TOKEN``, so ``~/.ray/auth_token`` is neither read nor written). It is
stopped through its own processes: ``ray stop`` would stop every cluster on the machine."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class LocalRayCluster:
    """``with LocalRayCluster(env) as cluster:`` ... ``cluster.dashboard_url``, ``cluster.env``."""

    def __init__(self, env: dict[str, str], num_cpus: int = 2) -> None:
        # a short path: Ray's unix sockets live under it and must stay under ~100 bytes
        self.temp_dir = Path(tempfile.mkdtemp(prefix="skr-", dir="/tmp"))
        self.token = secrets.token_hex(32)
        self.env = {
            **env,
            "RAY_TMPDIR": str(self.temp_dir),
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
            "RAY_USAGE_STATS_ENABLED": "0",
            # a busy machine starts the dashboard agent slowly; the raylet waits for it
            "RAY_agent_register_timeout_ms": "300000",
        }
        self.env.pop("RAY_ADDRESS", None)
        self.num_cpus = num_cpus
        self.proc: subprocess.Popen | None = None
        (gcs, dash, agent, agent_grpc, metrics, nm, om, rt_env, client, wmin) = free_ports(10)
        self.ports = {
            "--port": gcs,
            "--dashboard-port": dash,
            "--dashboard-agent-listen-port": agent,
            "--dashboard-agent-grpc-port": agent_grpc,
            "--metrics-export-port": metrics,
            "--node-manager-port": nm,
            "--object-manager-port": om,
            "--runtime-env-agent-port": rt_env,
            "--ray-client-server-port": client,
        }
        self.worker_ports = (wmin, wmin + 40) if wmin + 40 < 65535 else (20000, 20040)
        self.dashboard_url = f"http://127.0.0.1:{dash}"

    def command(self) -> list[str]:
        ray = str(Path(sys.executable).with_name("ray"))
        cmd = [
            ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
            "--dashboard-host", "127.0.0.1", "--include-dashboard", "true",
            "--num-cpus", str(self.num_cpus), "--temp-dir", str(self.temp_dir),
            "--min-worker-port", str(self.worker_ports[0]),
            "--max-worker-port", str(self.worker_ports[1]), "--disable-usage-stats",
        ]  # fmt: skip
        for flag, port in self.ports.items():
            cmd += [flag, str(port)]
        return cmd

    def __enter__(self) -> LocalRayCluster:
        log = (self.temp_dir / "ray-start.log").open("w")
        self.proc = subprocess.Popen(
            self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout_s: float = 240) -> None:
        """Until the job API answers (the dashboard agent too: a job needs it)."""

        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ray start exited: {self.log_tail()}")
            try:
                self.client().list_jobs()
                return
            except Exception as exc:  # not up yet
                last = exc
                time.sleep(1.0)
        raise RuntimeError(f"the cluster did not come up: {last}; {self.log_tail()}")

    def client(self):
        """A Jobs SDK client sending this cluster's token (an explicit header: this process
        may have cached another token, e.g. ~/.ray/auth_token, from an earlier Ray call)."""
        from ray.job_submission import JobSubmissionClient

        return JobSubmissionClient(
            self.dashboard_url, headers={"Authorization": f"Bearer {self.token}"}
        )

    def submit(self, timeout_s: float = 180, **kwargs) -> str:
        """``submit_job`` once the dashboard has found the node's agent (on a busy machine the
        agent registers a while after the job API answers: "No available agent")."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.client().submit_job(**kwargs)
            except RuntimeError as exc:
                if "No available agent" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def log_tail(self) -> str:
        path = self.temp_dir / "ray-start.log"
        return path.read_text()[-2000:] if path.is_file() else ""

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate this cluster's processes (the ``ray start`` process and its descendants,
        found by pid), never anyone else's."""
        import psutil

        if self.proc is None:
            return
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        procs += _processes_using(str(self.temp_dir), f":{self.ports['--port']} ")
        for proc in procs:
            try:
                proc.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=15)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        self.proc = None
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def _processes_using(*marks: str) -> list:
    """Processes whose command line names this cluster's temp dir or GCS port (Ray's daemons
    detach; the client server names only the GCS address)."""
    import psutil

    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or []) + " "
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if proc.info["pid"] != me and any(mark in cmdline for mark in marks):
            found.append(proc)
    return found
