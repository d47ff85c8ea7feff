"""Run folders: ``runs/<run>/step-N-<name>/`` with a manifest and a success marker.

A step's *fingerprint* hashes its config and its inputs (a file's size and mtime, or an upstream
step's own fingerprint). The manifest (config, config hash, inputs, row counts, versions, timings)
is written first and the ``_SUCCESS`` marker last, holding the fingerprint: a rerun skips a step
whose marker matches, and redoes one whose config or inputs changed or that never finished.
A stage's report is ``report.json`` plus ``report.md`` (:func:`write_report_files`).

Usage::

    step = Step(run_dir, 3, "curate")
    if step.is_done(cfg, inputs):
        return step.manifest()
    step.start(reset=True)
    ... write files under step.path ...
    step.finish(cfg, inputs, rows={"kept": 10, "dropped": 2})
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from skyray.atomic import write_json_atomic, write_text_atomic
from skyray.config import config_hash, to_dict

MANIFEST = "manifest.json"
SUCCESS = "_SUCCESS"
REPORT_JSON = "report.json"  # a stage's report, for programs
REPORT_MD = "report.md"  # the same report, for people
VERSIONED_PACKAGES = (
    "skyray",
    "ray",
    "torch",
    "transformers",
    "deepspeed",
    "vllm",
    "pyarrow",
    "datasketch",
    "math-verify",
    "openai",
)


def package_versions() -> dict[str, str]:
    """Installed versions (read from metadata, nothing imported)."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def input_fingerprint(path: str | Path) -> dict[str, Any]:
    """Identify an input cheaply: an upstream step (or a file or folder in one) by the step's
    fingerprint, any other file by size+mtime, a folder by the same over its files."""
    path = Path(path)
    step = _enclosing_step(path)
    if step is not None:  # by name, not location: a staged copy of the step matches itself
        return {
            "step": step.name,
            "file": path.relative_to(step).as_posix() if path != step else "",
            "step_fingerprint": (step / SUCCESS).read_text().strip(),
        }
    if path.is_file():
        stat = path.stat()
        return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = child.stat()
            digest.update(f"{child.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return {"path": str(path), "tree": digest.hexdigest()[:16]}
    raise FileNotFoundError(f"input not found: {path}")


def _enclosing_step(path: Path) -> Path | None:
    """The finished step folder that is ``path`` or holds it (two levels up at most); a bare
    ``_SUCCESS`` without a manifest (Spark, Hadoop) is not a step."""
    for folder in [path, *list(path.parents)[:2]]:
        if (folder / SUCCESS).is_file() and (folder / MANIFEST).is_file():
            return folder
    return None


def fingerprint(cfg: Any, inputs: list[str | Path] | None = None) -> str:
    """Hash of the config and the inputs' identities."""
    parts = {"config": config_hash(cfg), "inputs": [input_fingerprint(p) for p in inputs or []]}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Step:
    run_dir: Path  # runs/<run>
    index: int  # N in step-N-<name>
    name: str  # short stage name, e.g. "curate"

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        if self.index < 0:
            raise ValueError(f"step index must be >= 0, got {self.index}")
        self._started = time.time()

    @property
    def path(self) -> Path:
        return self.run_dir / f"step-{self.index}-{self.name}"

    def is_done(self, cfg: Any, inputs: list[str | Path] | None = None) -> bool:
        """True when the step finished before with the same config and inputs."""
        marker = self.path / SUCCESS
        if not marker.is_file():
            return False
        return marker.read_text().strip() == fingerprint(cfg, inputs)

    def start(self, reset: bool = False) -> Path:
        """Create the step folder; ``reset`` wipes a previous partial attempt. Removes a stale
        success marker so an interrupted rerun is never mistaken for a finished one."""
        import shutil

        if reset and self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / SUCCESS).unlink(missing_ok=True)
        self._started = time.time()
        from skyray.console import step_started

        step_started(self.name, self.path)
        return self.path

    def finish(
        self,
        cfg: Any,
        inputs: list[str | Path] | None = None,
        rows: dict[str, int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the manifest, then the success marker (last)."""
        fp = fingerprint(cfg, inputs)
        manifest = {
            "step": self.path.name,
            "fingerprint": fp,
            "config": to_dict(cfg),
            "config_hash": config_hash(cfg),
            "inputs": [input_fingerprint(p) for p in inputs or []],
            "rows": rows or {},
            "versions": package_versions(),
            "argv": sys.argv,
            "started_at": self._started,
            "finished_at": time.time(),
            "duration_s": round(time.time() - self._started, 3),
            **(extra or {}),
        }
        write_json_atomic(self.path / MANIFEST, manifest)
        (self.path / SUCCESS).write_text(fp + "\n")
        report_finished(self.path, manifest, self.name)
        return manifest

    def manifest(self) -> dict[str, Any]:
        return read_manifest(self.path)


class FolderStep(Step):
    """A :class:`Step` whose folder is given directly (``skyray curate --out DIR``), not
    ``step-N-<name>`` under a run."""

    def __init__(self, folder: Path, name: str):
        super().__init__(Path(folder).parent, 0, name)
        self.folder = Path(folder)

    @property
    def path(self) -> Path:
        return self.folder


def report_finished(path: Path, manifest: dict[str, Any], stage: str) -> None:
    """The step's summary line and its Ray metrics (:mod:`skyray.console`,
    :mod:`skyray.metrics`); a failure here is logged, never fails the finished step."""
    from skyray.console import step_finished
    from skyray.metrics import publish_step

    try:
        step_finished(path, manifest, stage)
        publish_step(path, manifest, stage)
    except Exception:  # noqa: BLE001 - observability must not undo a finished step
        logging.getLogger(__name__).warning("could not report step %s", path, exc_info=True)


def read_manifest(step_dir: str | Path) -> dict[str, Any]:
    """The manifest of a finished step folder."""
    return json.loads((Path(step_dir) / MANIFEST).read_text())


def write_report_files(folder: Path, report: dict[str, Any], markdown: str) -> None:
    """``report.json`` (passwords masked) and ``report.md`` in ``folder``, each written whole."""
    write_json_atomic(folder / REPORT_JSON, report)
    write_text_atomic(folder / REPORT_MD, markdown)
