"""Ray start-up in one place.

By default an embedded local cluster (bound to 127.0.0.1, dashboard on 127.0.0.1); with
``address`` (``--address`` on the CLI) or ``RAY_ADDRESS`` set, connect to an existing cluster, as
``ray job submit`` entrypoints do.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

logger = logging.getLogger(__name__)
LOCAL_HOST = "127.0.0.1"
PROBE_TIMEOUT_S = 5.0  # a TCP connect to the head; Ray itself retries the GCS for minutes
SCHEMES = ("ray://", "http://", "https://")


def _host_port(address: str) -> tuple[str, int]:
    rest = address
    for scheme in SCHEMES:
        if rest.startswith(scheme):
            rest = rest[len(scheme) :]
    rest = rest.split("/", 1)[0]
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"Ray address {address!r} is not of the form host:port or ray://host:port")
    return host.strip("[]"), int(port)


def _dialled_host(host: str) -> str:
    """The host ``ray.init`` really dials: Ray 2.60 replaces 127.0.0.1/localhost by this
    machine's IP, so a cluster listening on loopback only never answers it."""
    try:
        from ray._private.services import resolve_ip_for_localhost
    except ImportError:
        return host
    return resolve_ip_for_localhost(host)


def _resolve_auto() -> str:
    """``auto``: the cluster Ray recorded last (``ray start``), or a one-line error."""
    from ray._private.services import canonicalize_bootstrap_address_or_die

    try:
        return canonicalize_bootstrap_address_or_die("auto")
    except Exception as exc:  # ConnectionError, or a malformed record file
        raise ConnectionError(f"RAY_ADDRESS/--address is 'auto' but {exc}") from None


def check_address(address: str, source: str = "--address") -> str:
    """Fail within seconds, with one line, when ``address`` does not answer (a TCP connect to
    its host:port), instead of Ray's multi-minute "Failed to connect to GCS" retries. Returns
    the address to pass to ``ray.init``."""
    target = _resolve_auto() if address == "auto" else address
    host, port = _host_port(target)
    dialled = "" if target.startswith(SCHEMES) else _dialled_host(host)
    if dialled and dialled != host:  # Ray dials this machine's IP for a loopback address
        target, host = f"{target} (dialled as {dialled}:{port})", dialled
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConnectionError(
            f"no Ray cluster answers at {target} (from {source}): {reason}; start the cluster, "
            "fix the address, or unset --address and RAY_ADDRESS for a local cluster"
        ) from None
    return address


def check_reachable(address: str | None = None) -> None:
    """Before a step does any work: the cluster it will connect to answers (no-op for local)."""
    import ray

    if ray.is_initialized():
        return
    source = "--address" if address else "RAY_ADDRESS"
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and address != "local":
        check_address(address, source)


# Ray Serve marks its HTTP proxy unhealthy and kills it when the proxy does not answer its
# readiness check within 5 s; a proxy process start on 2 busy cores takes longer, and the
# killed proxy fails `serve.start`. A local cluster's processes inherit this process's
# environment, so the defaults below reach Serve's controller; a value already set wins.
LOCAL_SERVE_ENV = {
    "RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S": "60",
    "RAY_SERVE_PROXY_HEALTH_CHECK_TIMEOUT_S": "30",
}


def init_ray(
    address: str | None = None,
    num_cpus: int | None = None,
    dashboard: bool = True,
    **kwargs: Any,
):
    """Connect to ``address`` / ``$RAY_ADDRESS``, or start a local cluster on 127.0.0.1.

    Idempotent: returns at once when Ray is already initialised in this process.
    """
    import ray

    if ray.is_initialized():
        return ray
    source = "--address" if address else "RAY_ADDRESS"
    address = address or os.environ.get("RAY_ADDRESS") or None
    env = kwargs.pop("runtime_env", None)
    if os.environ.get("SKYRAY_QUIET") == "1":  # `skyray -q`: no worker logs on the console
        kwargs.setdefault("log_to_driver", False)
    if address == "local":  # ray.init's own word for "start a new local cluster"
        address = None
    if address:
        check_address(address, source)
        logger.info("connecting to Ray cluster at %s", address)
        ray.init(address=address, runtime_env=env, **kwargs)
    else:
        logger.info("starting a local Ray cluster on %s", LOCAL_HOST)
        for name, value in LOCAL_SERVE_ENV.items():
            os.environ.setdefault(name, value)
        # address="local" always starts a new cluster; a bare ray.init() would follow
        # /tmp/ray/ray_current_cluster to whatever cluster ran last, even a dead one.
        ray.init(
            address="local",
            num_cpus=num_cpus,
            _node_ip_address=LOCAL_HOST,
            include_dashboard=dashboard,
            dashboard_host=LOCAL_HOST,
            runtime_env=env,
            **kwargs,
        )
    return ray


def cluster_cpus() -> float:
    """CPUs the connected cluster offers (for sizing actor pools so reads still get a CPU)."""
    import ray

    return float(ray.cluster_resources().get("CPU", 1.0))
