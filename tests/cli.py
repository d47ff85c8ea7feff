"""Run the real ``skyray`` command in a child process, as a user would, and find free ports:
one copy for every test that needs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterable

from tests.conftest import ROOT


def free_port() -> int:
    """A port nothing listens on right now (bound and released on 127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_skyray(
    *args: str,
    cwd=None,
    timeout: float = 60,
    unset: Iterable[str] = ("RAY_ADDRESS",),
    **env: str,
) -> subprocess.CompletedProcess:
    """``python -m skyray.cli ARGS`` with this checkout on PYTHONPATH, the variables in ``unset``
    removed (a test's cluster address must not leak in) and ``env`` added; output captured."""
    full_env = {k: v for k, v in os.environ.items() if k not in set(unset)}
    full_env.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "skyray.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
