"""Which nodes a step's workers may run on, and whether every one of them sees the step folder.

On a multi-node cluster a step's workers (synthesis actors, curation actors and tasks, SFT
workers) read and write the step folder. A node-local path (``/tmp/...``, a laptop folder) exists
only on the driver's node: workers elsewhere would write files the driver never sees (curation
then silently deduplicated only part of its rows). :func:`check_shared_folder` writes a token
into the folder and asks one zero-CPU task on every node that can host the workers whether it
sees it; any that does not stops the step at once with one line.

``SKYRAY_NODE_LOCAL_PATHS`` (``os.pathsep``-separated folders, set in a node's environment before
``ray start``) declares folders a node does not share even where its view of them happens to
exist (a local scratch disk mounted at the same path everywhere).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

NODE_LOCAL_ENV = "SKYRAY_NODE_LOCAL_PATHS"
PROBE_TIMEOUT_S = 120.0  # a hang guard: a zero-CPU task on an alive node starts in seconds
BUILTIN = ("CPU", "GPU", "memory", "object_store_memory")


def sees(folder: str, token: str) -> bool:
    """On a node: whether ``folder`` is the shared one (its token file is there)."""
    path = Path(folder)
    for root in filter(None, os.environ.get(NODE_LOCAL_ENV, "").split(os.pathsep)):
        if path == Path(root) or Path(root) in path.parents:
            return False
    return (path / token).is_file()


def worker_nodes(resources: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Alive nodes offering the custom resources (and GPUs) the workers ask for."""
    import ray

    wanted = {k: v for k, v in (resources or {}).items() if k not in ("CPU", "memory")}
    return [
        n
        for n in ray.nodes()
        if n.get("Alive") and all(n["Resources"].get(k, 0.0) >= v for k, v in wanted.items())
    ]


def check_shared_folder(
    folder: str | Path, resources: dict[str, float] | None = None, what: str = "step"
) -> None:
    """Raise ``ValueError`` (one line) when a node that can host the workers does not see
    ``folder``. No-op on one node and for URIs (``s3://``: every node reaches them)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    if "://" in str(folder):
        return
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if len(nodes) <= 1:
        return
    candidates = worker_nodes(resources)
    if not candidates:
        raise ValueError(f"{what}: no alive node offers the workers' resources {resources}")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    token = f".skyray-visible-{uuid.uuid4().hex}"
    (folder / token).write_text("")
    try:
        probe = ray.remote(sees).options(num_cpus=0, max_retries=0)
        refs = [
            probe.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
            ).remote(str(folder), token)
            for n in candidates
        ]
        seen = ray.get(refs, timeout=PROBE_TIMEOUT_S)
    finally:
        (folder / token).unlink(missing_ok=True)
    blind = [
        n["NodeManagerAddress"] + " " + n["NodeID"][:8] for n, ok in zip(candidates, seen, strict=True) if not ok
    ]
    if blind:
        raise ValueError(
            f"{what} folder {folder} is not visible from node(s) {', '.join(blind)} of this "
            "multi-node cluster (a node-local path?): put the run on storage every node sees"
        )
