"""``skyray serve`` faults and exposure: a busy port is one line and exit 1 (nothing announced),
an API key is checked as a Bearer token, a non-loopback host without a key is refused."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from skyray.testing.bad_teacher import BadTeacher

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-test-3f9c2d71e0"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    from skyray.data.seeds import write_problems
    from skyray.records import Problem

    path = tmp_path_factory.mktemp("serve-faults") / "seeds.parquet"
    write_problems([Problem(id="a", problem="What is 20 + 22?", answer="42", solution="42")], path)
    return path


def skyray(*args: str, env: dict | None = None, timeout: float = 120):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "skyray.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)  # fmt: skip


@pytest.mark.parametrize("engine", ["uvicorn", "ray"])
def test_busy_port_is_one_line_and_nothing_is_announced(engine, seeds):
    with BadTeacher("forward") as other:  # another OpenAI-shaped server holds the port
        port = other.base_url.split(":")[2].split("/")[0]
        out = skyray("serve", f"engine={engine}", f"port={port}", f"seeds_path={seeds}")
    assert out.returncode == 1, out.stderr
    assert out.stdout == ""  # never "serving ... at" a port someone else answers on
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"skyray: error: serve: cannot listen on 127.0.0.1:{port}: Address already in use"
        )
    )
    assert "Traceback" not in out.stderr


def test_api_key_is_a_bearer_token(seeds):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SKYRAY_TEST_SERVE_KEY=KEY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skyray.cli", "serve", "engine=uvicorn", "port=0",
         f"seeds_path={seeds}", "api_key_env=SKYRAY_TEST_SERVE_KEY"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        assert first.startswith("serving 'deterministic' (deterministic, uvicorn) at http://127.")
        base = first.rsplit(" at ", 1)[1].strip()
        assert "API key from $SKYRAY_TEST_SERVE_KEY as Bearer" in proc.stdout.readline()
        assert httpx.get(base + "/models", timeout=10).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(base + "/models", headers=wrong, timeout=10).status_code == 401
        good = {"Authorization": f"Bearer {KEY}"}
        models = httpx.get(base + "/models", headers=good, timeout=10)
        assert models.status_code == 200 and models.json()["data"][0]["id"] == "deterministic"
        body = {"model": "deterministic", "messages": [{"role": "user", "content": "20 + 22?"}]}
        chat = httpx.post(base + "/chat/completions", json=body, timeout=30)
        assert chat.status_code == 401 and "API key" in chat.json()["error"]["message"]
        chat = httpx.post(base + "/chat/completions", json=body, headers=good, timeout=30)
        assert chat.status_code == 200 and chat.json()["choices"]
        root = base.rsplit("/v1", 1)[0]
        assert httpx.get(root + "/health", timeout=10).status_code == 200  # liveness stays open
        import psutil  # the key is not in any process's argv (only its SHA-256 is)

        for child in psutil.Process(proc.pid).children(recursive=True):
            assert KEY not in " ".join(child.cmdline())
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert KEY not in proc.stdout.read() + proc.stderr.read()


@pytest.mark.parametrize("engine", ["uvicorn", "ray"])
def test_non_loopback_host_without_key_is_refused(engine, seeds):
    out = skyray("serve", f"engine={engine}", "host=0.0.0.0", "port=0", f"seeds_path={seeds}")
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("skyray: error: serve: host=0.0.0.0 exposes the server beyond this ")
    assert "api_key_env=VAR" in last and "allow_unauthenticated=true (--insecure)" in last


def test_named_key_variable_must_be_set(seeds):
    out = skyray("serve", "engine=uvicorn", "port=0", f"seeds_path={seeds}",
                 "api_key_env=SKYRAY_TEST_UNSET_KEY")  # fmt: skip
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines()[-1] == (
        "skyray: error: serve.api_key_env: $SKYRAY_TEST_UNSET_KEY is not set or empty"
    )


def test_exposure_is_logged_either_way(caplog):
    from skyray.serve.auth import check_exposure, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")
    with caplog.at_level(logging.WARNING, logger="skyray.serve.auth"):
        check_exposure("127.0.0.1", 8000, None, False)
        assert caplog.records == []
        check_exposure("0.0.0.0", 8000, KEY, False)
        check_exposure("0.0.0.0", 8000, None, True)
    first, second = (r.getMessage() for r in caplog.records)
    assert "0.0.0.0:8000, beyond this machine; API key required" in first
    assert "0.0.0.0:8000 WITHOUT authentication" in second
    assert KEY not in first + second


def test_api_key_on_the_ray_engine(ray_cluster, seeds, monkeypatch):
    from skyray.serve.server import ServeConfig, start_server

    monkeypatch.setenv("SKYRAY_TEST_SERVE_KEY", KEY)
    cfg = ServeConfig(seeds_path=str(seeds), port=0, app_name="keyed", route_prefix="/keyed",
                      api_key_env="SKYRAY_TEST_SERVE_KEY")  # fmt: skip
    server = start_server(cfg)
    try:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert httpx.get(server.base_url + "/models", timeout=10).status_code == 401
        good = {"Authorization": f"Bearer {KEY}"}
        assert httpx.get(server.base_url + "/models", headers=good, timeout=10).status_code == 200
    finally:
        server.stop()


def test_insecure_flag_allows_a_non_loopback_host_with_a_warning(seeds):
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the bind fails, so nothing listens
    # beyond loopback, but the exposure rule and its warning run first
    out = skyray("serve", "--insecure", "engine=uvicorn", "host=192.0.2.1", "port=0",
                 f"seeds_path={seeds}")  # fmt: skip
    assert "192.0.2.1:<free port> WITHOUT authentication" in out.stderr
    assert out.returncode == 1 and out.stdout == "" and "Traceback" not in out.stderr
    assert (
        out.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "skyray: error: serve: cannot listen on 192.0.2.1:0: Cannot assign requested address"
        )
    )
