"""Ray start-up in one place.

By default an embedded local cluster (bound to 127.0.0.1, dashboard on 127.0.0.1); with
``address`` (``--address`` on the CLI) or ``RAY_ADDRESS`` set, connect to an existing cluster, as
``ray job submit`` entrypoints do.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)
LOCAL_HOST = "127.0.0.1"


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
    address = address or os.environ.get("RAY_ADDRESS") or None
    env = kwargs.pop("runtime_env", None)
    if os.environ.get("SKYRAY_QUIET") == "1":  # `skyray -q`: no worker logs on the console
        kwargs.setdefault("log_to_driver", False)
    if address:
        logger.info("connecting to Ray cluster at %s", address)
        ray.init(address=address, runtime_env=env, **kwargs)
    else:
        logger.info("starting a local Ray cluster on %s", LOCAL_HOST)
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
