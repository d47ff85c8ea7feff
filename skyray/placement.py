"""Which nodes a step's workers may run on, and whether every one of them sees the step folder.

On a multi-node cluster a step's workers (synthesis actors, curation actors and tasks, SFT
workers) read and write the step folder. A node-local path (``/tmp/...``, a laptop folder) exists
only on the driver's node: workers elsewhere would write files the driver never sees (curation
then silently deduplicated only part of its rows). :func:`check_shared_folder` writes a token
into the folder and asks one zero-CPU task on every node that can host the workers whether it
sees it (:func:`check_visible` does the same read-only for input files); any that does not stops
the step at once with one line.

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


def sees(files: list[tuple[str, int, int]]) -> list[bool]:
    """On a node: whether each ``(path, size, mtime_ns)`` is the driver's file (same size and
    modification time), i.e. the node shares the folder it lies in."""
    roots = [Path(r) for r in os.environ.get(NODE_LOCAL_ENV, "").split(os.pathsep) if r]
    out = []
    for name, size, mtime_ns in files:
        path = Path(name)
        if any(root == path or root in path.parents for root in roots):
            out.append(False)
            continue
        try:
            stat = path.stat()
        except OSError:
            out.append(False)
            continue
        out.append(stat.st_size == size and stat.st_mtime_ns == mtime_ns)
    return out


def worker_nodes(resources: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Alive nodes offering the custom resources (and GPUs) the workers ask for."""
    import ray

    wanted = {k: v for k, v in (resources or {}).items() if k not in ("CPU", "memory")}
    return [
        n
        for n in ray.nodes()
        if n.get("Alive") and all(n["Resources"].get(k, 0.0) >= v for k, v in wanted.items())
    ]


def _multi_node() -> bool:
    import ray

    return sum(1 for n in ray.nodes() if n.get("Alive")) > 1


def check_visible(
    files: list[str | Path], resources: dict[str, float] | None = None, what: str = "step"
) -> None:
    """Raise ``ValueError`` (one line) when a node that can host the workers does not see one of
    the driver's ``files`` (read-only: compares size and mtime). No-op on one node."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    local = [Path(f).resolve() for f in files if "://" not in str(f)]  # URIs: every node
    if not local or not _multi_node():
        return
    candidates = worker_nodes(resources)
    if not candidates:
        raise ValueError(f"{what}: no alive node offers the workers' resources {resources}")
    expected = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in local]
    probe = ray.remote(num_cpus=0, max_retries=0)(sees)
    refs = [
        probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
        ).remote(expected)
        for n in candidates
    ]
    for node, seen in zip(candidates, ray.get(refs, timeout=PROBE_TIMEOUT_S), strict=True):
        blind = [f for f, ok in zip(local, seen, strict=True) if not ok]
        if blind:
            where = f"{node['NodeManagerAddress']} {node['NodeID'][:8]}"
            raise ValueError(
                f"{what}: {blind[0].parent} is not visible from node(s) {where} of this "
                "multi-node cluster (a node-local path?): put it on storage every node sees"
            )


def check_shared_folder(
    folder: str | Path, resources: dict[str, float] | None = None, what: str = "step"
) -> None:
    """Like :func:`check_visible` for a folder the step writes: a token file is written there,
    looked for on every node that can host the workers, and removed."""
    if "://" in str(folder) or not _multi_node():
        return
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    token = folder / f".skyray-visible-{uuid.uuid4().hex}"
    token.write_text("")
    try:
        check_visible([token], resources, what)
    finally:
        token.unlink(missing_ok=True)
