"""Resume from the newest *complete* checkpoint on storage, whatever Ray Train registered.

Ray Train registers a reported checkpoint only when its controller has polled every worker's
report (every ``RAY_TRAIN_HEALTH_CHECK_INTERVAL_S``, 2 s). A worker that fails, or a driver that
is killed, between uploading a checkpoint and that poll leaves a checkpoint folder that is
complete on disk but unknown to Ray: a rerun (or an in-run restart) then resumes from an older
one, or from scratch, depending on timing. So each rank, once ``ray.train.report`` has uploaded
its shards, writes a marker ``_skyray_rank<R>.json`` (step, world size) into the persisted
checkpoint folder; a checkpoint is complete when every rank of its world wrote one. On start the
loop takes the newest complete checkpoint of the run's storage folder, or Ray's own when that is
newer (a registered checkpoint is complete by construction).
"""

from __future__ import annotations

import json
import re
from typing import Any

MARKER = re.compile(r"^_skyray_rank(\d+)\.json$")


def marker_name(rank: int) -> str:
    return f"_skyray_rank{rank}.json"


def write_marker(fs: Any, checkpoint_path: str, rank: int, world: int, step: int) -> None:
    """After this rank's upload: record that its part of ``checkpoint_path`` is on storage."""
    data = json.dumps({"rank": rank, "world": world, "global_step": step}).encode()
    with fs.open_output_stream(f"{checkpoint_path}/{marker_name(rank)}") as out:
        out.write(data)


def _read_json(fs: Any, path: str) -> dict[str, Any] | None:
    try:
        with fs.open_input_stream(path) as stream:
            return json.loads(stream.read().decode())
    except (OSError, ValueError):
        return None


def newest_complete(fs: Any, experiment_path: str, world: int) -> tuple[str, int] | None:
    """(path, global step) of the newest checkpoint under ``experiment_path`` that every one of
    ``world`` ranks marked complete, or None."""
    from pyarrow.fs import FileSelector, FileType

    try:
        entries = fs.get_file_info(FileSelector(experiment_path, recursive=False))
    except (FileNotFoundError, OSError):
        return None
    best: tuple[str, int] | None = None
    for folder in (e for e in entries if e.type == FileType.Directory):
        files = fs.get_file_info(FileSelector(folder.path, recursive=False))
        marks = [_read_json(fs, f.path) for f in files if MARKER.match(f.base_name)]
        marks = [m for m in marks if m and m.get("world") == world]
        steps = {m["global_step"] for m in marks}
        if len({m["rank"] for m in marks}) == world and len(steps) == 1:
            step = int(steps.pop())
            if best is None or step > best[1]:
                best = (folder.path, step)
    return best


def checkpoint_step(fs: Any, checkpoint_path: str) -> int | None:
    """The global step of a DeepSpeed checkpoint folder (its ``latest`` tag ``step-N``)."""
    try:
        with fs.open_input_stream(f"{checkpoint_path}/latest") as stream:
            tag = stream.read().decode().strip()
    except (FileNotFoundError, OSError):
        return None
    match = re.fullmatch(r"step-(\d+)", tag)
    return int(match.group(1)) if match else None
