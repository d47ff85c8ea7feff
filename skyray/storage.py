"""Where run folders live: a local folder, or a storage root every node and every job sees.

The storage root (``--storage``, ``$SKYRAY_STORAGE`` or the pipeline's ``storage`` key) is an
absolute path on shared storage (NFS and the like) or a URI that pyarrow opens
(``s3://bucket/prefix``, ``gs://...``; credentials and endpoints come from the usual
environment, e.g. ``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, never from SkyRay's configs).
A relative run folder lives under it; inside a Ray job a relative run folder without a root is
refused, since it would land in Ray's private copy of the working directory.

A step on a URI root keeps the stage code on plain local paths: :func:`staged_step` mirrors the
step's inputs into a local staging folder (``$SKYRAY_STAGING_DIR``, default
``/tmp/skyray-staging``, laid out like the URI so a step's paths are the same on every node),
runs the step there, and uploads a finished step with its manifest, then ``_SUCCESS`` last.
What must be shared *live* across nodes and jobs is written to the root directly: the teacher
response cache (:mod:`skyray.llm.cache`) and Ray Train's checkpoints; :func:`remote_of` maps
a staged path to its URI for them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from skyray.atomic import write_atomic

logger = logging.getLogger(__name__)
STORAGE_ENV = "SKYRAY_STORAGE"
STAGING_ENV = "SKYRAY_STAGING_DIR"
DEFAULT_STAGING = "/tmp/skyray-staging"
SUCCESS = "_SUCCESS"  # same names as skyray.runs (not imported: this module stays light)
MANIFEST = "manifest.json"
LIVE_DIRS = ("cache", "ray")  # written to the root directly, never staged or uploaded
# written to the root directly by a step's workers (curation), staged for later steps to read
IN_PLACE_DIRS = ("kept", "dropped", "_work")


def is_uri(path: str | Path) -> bool:
    """True for ``scheme://...`` (``file://`` included); False for plain paths."""
    return "://" in str(path)


def in_ray_job() -> bool:
    """True inside a ``ray job submit`` entrypoint (Ray sets the job's config in its env)."""
    return "RAY_JOB_CONFIG_JSON_ENV_VAR" in os.environ


def storage_root(storage: str | None = None) -> str:
    """The storage root: ``storage``, else ``$SKYRAY_STORAGE``, else "" (none)."""
    root = (storage or os.environ.get(STORAGE_ENV) or "").strip()
    if root and not is_uri(root) and not Path(root).is_absolute():
        raise ValueError(
            f"storage root {root!r} must be an absolute path on shared storage or a URI "
            "such as s3://bucket/prefix"
        )
    return root.rstrip("/")


def join(root: str, *parts: str) -> str:
    """``root/part/...`` for a URI or a local path."""
    if is_uri(root):
        return "/".join([root.rstrip("/"), *(p.strip("/") for p in parts)])
    return str(Path(root, *parts))


def resolve_run_dir(run_dir: str | Path, storage: str | None = None) -> str:
    """Where a run folder lives: a URI or absolute path as given, a relative one under the
    storage root; refused inside a Ray job when relative without a root."""
    run_dir = str(run_dir)
    if is_uri(run_dir) or Path(run_dir).is_absolute():
        return run_dir
    root = storage_root(storage)
    if root:
        return join(root, run_dir)
    if in_ray_job():
        raise ValueError(
            f"run folder {run_dir!r} is relative inside a Ray job, where it would land in Ray's "
            f"private copy of the working directory: set {STORAGE_ENV} (runtime env "
            "env_vars) or --storage to an absolute shared path or s3://bucket/prefix"
        )
    return run_dir


def filesystem(uri: str):
    """``(pyarrow filesystem, path inside it)`` for a URI or a local path."""
    from pyarrow import fs

    if not is_uri(uri):
        return fs.LocalFileSystem(), str(Path(uri).absolute())
    return fs.FileSystem.from_uri(uri)


def staging_root() -> Path:
    return Path(os.environ.get(STAGING_ENV) or DEFAULT_STAGING)


def local_of(uri: str) -> Path:
    """The staging path of a URI: ``<staging>/<scheme>/<bucket>/<key>`` (same on every node)."""
    scheme, rest = uri.split("://", 1)
    return staging_root() / scheme / rest.split("?", 1)[0].strip("/")


def remote_of(path: str | Path) -> str:
    """The URI a staged path stands for; any other path unchanged (as a string)."""
    path = Path(path)
    root = staging_root()
    try:
        rel = path.absolute().relative_to(root.absolute())
    except ValueError:
        return str(path)
    scheme, *rest = rel.parts
    return f"{scheme}://" + "/".join(rest)


def display(path: str | Path) -> str:
    """A path for the user: the URI of a staged path."""
    return remote_of(path)


def exists(uri: str) -> bool:
    from pyarrow import fs as pafs

    fs, path = filesystem(uri)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def read_text(uri: str) -> str | None:
    """A small file's text, or None when it does not exist."""
    from pyarrow import fs as pafs

    fs, path = filesystem(uri)
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    with fs.open_input_stream(path) as handle:
        return handle.read().decode()


def write_text(uri: str, text: str) -> None:
    fs, path = filesystem(uri)
    fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
    with fs.open_output_stream(path) as handle:
        handle.write(text.encode())


def _files(fs, path: str, skip: Sequence[str] = LIVE_DIRS) -> dict[str, Any]:
    """Relative path -> FileInfo of the files under ``path`` (skipping live dirs)."""
    from pyarrow import fs as pafs

    selector = pafs.FileSelector(path, recursive=True, allow_not_found=True)
    out = {}
    for info in fs.get_file_info(selector):
        if info.type != pafs.FileType.File:
            continue
        rel = info.path[len(path.rstrip("/")) + 1 :]
        if rel.split("/", 1)[0] in skip or rel.endswith("/"):
            continue
        out[rel] = info
    return out


def pull(uri: str, only: Sequence[str] | None = None) -> Path:
    """Mirror the folder (or file) ``uri`` into staging; a folder whose ``_SUCCESS`` matches the
    staged copy's is not downloaded again. ``only``: just these files of the folder."""
    from pyarrow import fs as pafs

    local = local_of(uri)
    fs, path = filesystem(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        local.parent.mkdir(parents=True, exist_ok=True)
        mtime_ns = info.mtime_ns or 0
        stat = local.stat() if local.is_file() else None
        if stat is None or (stat.st_size, stat.st_mtime_ns) != (info.size, mtime_ns):
            fs_copy(fs, path, local)
            # the stored object's time: a staged input keeps its fingerprint across pulls
            os.utime(local, ns=(mtime_ns, mtime_ns))
        _pull_markers(uri)
        return local
    if info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"not found on storage: {uri}")
    marker = read_text(join(uri, SUCCESS))
    if marker is not None and _read_local(_complete(local)) == marker:
        return local  # the staged copy is this very step output, complete
    if local.exists():
        shutil.rmtree(local)
    _complete(local).unlink(missing_ok=True)
    local.mkdir(parents=True, exist_ok=True)
    for rel in _files(fs, path, LIVE_DIRS + ("_work",)):
        if rel != SUCCESS and (only is None or rel in only):
            (local / rel).parent.mkdir(parents=True, exist_ok=True)
            fs_copy(fs, f"{path}/{rel}", local / rel)
    if marker is not None:
        (local / SUCCESS).write_text(marker)  # last, as on the storage
        if only is None:
            _complete(local).write_text(marker)
    _pull_markers(uri)
    return local


def _complete(local: Path) -> Path:
    """Sidecar holding the marker of a staged folder that is a complete copy."""
    return local.parent / f".{local.name}.complete"


def _pull_markers(uri: str) -> None:
    """Copy the ``_SUCCESS`` of the two folders above ``uri`` (a file or subfolder of a step is
    identified by its step's marker, see :func:`skyray.runs.input_fingerprint`)."""
    parent = uri.rstrip("/")
    for _ in range(2):
        parent = parent.rsplit("/", 1)[0]
        if "://" not in parent or parent.endswith(":/"):
            return
        marker = read_text(join(parent, SUCCESS))
        if marker is not None:
            local = local_of(parent)
            local.mkdir(parents=True, exist_ok=True)
            (local / SUCCESS).write_text(marker)
            return


def fs_copy(fs, src: str, dest: Path) -> None:
    def copy(tmp: Path) -> None:
        with fs.open_input_stream(src) as handle, tmp.open("wb") as out:
            shutil.copyfileobj(handle, out, 8 << 20)

    write_atomic(dest, copy)


def push(local: Path, uri: str) -> None:
    """Upload a finished step folder: the old marker goes first, stale files are removed, the
    files are uploaded, and ``_SUCCESS`` is written last."""
    marker = (local / SUCCESS).read_text()
    fs, path = filesystem(uri)
    fs.create_dir(path, recursive=True)
    skip = LIVE_DIRS + IN_PLACE_DIRS
    remote = _files(fs, path, skip)
    if SUCCESS in remote:
        fs.delete_file(f"{path}/{SUCCESS}")
    mine = {
        p.relative_to(local).as_posix()
        for p in local.rglob("*")
        if p.is_file() and p.relative_to(local).parts[0] not in skip
    }
    for rel in sorted(set(remote) - mine - {SUCCESS}):
        fs.delete_file(f"{path}/{rel}")
    for rel in sorted(mine - {SUCCESS}):
        target = f"{path}/{rel}"
        fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
        with (local / rel).open("rb") as src, fs.open_output_stream(target) as out:
            shutil.copyfileobj(src, out, 8 << 20)
    with fs.open_output_stream(f"{path}/{SUCCESS}") as out:
        out.write(marker.encode())
    in_place = any(rel.split("/", 1)[0] in IN_PLACE_DIRS for rel in _files(fs, path))
    if in_place:  # the staged copy lacks what the workers wrote on the storage
        _complete(local).unlink(missing_ok=True)
    else:
        _complete(local).write_text(marker)
    logger.info("storage: uploaded %d files to %s", len(mine), uri)


def _read_local(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


@contextlib.contextmanager
def staged_step(run_dir: str | Path, step: str, needs: Sequence[str] = ()) -> Iterator[Path]:
    """Yield the run folder to work in for step folder ``step`` (e.g. ``step-2-synth``).

    A local run folder is yielded as is. On a URI the step folders ``needs`` are mirrored into
    staging, the step's own folder starts from its marker and manifest only (so a finished step
    is still skipped), and a step that finished anew is uploaded when the block exits."""
    run_dir = str(run_dir)
    if not is_uri(run_dir):
        yield Path(run_dir)
        return
    for name in needs:
        if exists(join(run_dir, name)):
            pull(join(run_dir, name))
    uri = join(run_dir, step)
    local = local_of(uri)
    remote_marker = read_text(join(uri, SUCCESS))
    if local.exists() and (remote_marker is None or _read_local(local / SUCCESS) != remote_marker):
        shutil.rmtree(local)  # a stale or partial local attempt: start from what storage has
        _complete(local).unlink(missing_ok=True)
    if remote_marker is not None:
        pull(uri, only=(MANIFEST, SUCCESS))
    manifest = _read_local(local / MANIFEST)
    yield local_of(run_dir)
    marker = _read_local(local / SUCCESS)
    # finished anew: another fingerprint, or the same one redone (--force, a new manifest)
    if marker is not None and (
        marker != remote_marker or _read_local(local / MANIFEST) != manifest
    ):
        push(local, uri)


def resolve_input(path: str | Path, storage: str | None = None) -> Path:
    """A local path to read ``path`` from: a URI is mirrored into staging; a relative path that
    does not exist here is looked up under the storage root (a run folder written by an
    earlier job)."""
    path = str(path)
    if is_uri(path):
        return pull(path)
    if Path(path).is_absolute() or Path(path).exists():
        return Path(path)
    root = storage_root(storage)
    under_root = join(root, path) if root else ""
    if not under_root or not exists(under_root):
        return Path(path)  # not a stored path (a Hub id?): the caller's own checks name it
    return pull(under_root) if is_uri(under_root) else Path(under_root)


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON file from a local path or a URI."""
    import json

    text = read_text(str(path)) if is_uri(path) else Path(path).read_text()
    if text is None:
        raise FileNotFoundError(f"not found: {path}")
    return json.loads(text)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
