"""Which Parquet files an SFT run reads, and which step wrote them.

A curation step folder holds ``kept/`` (the training set), ``dropped/`` (rows curation refused:
decontaminated test items among them) and bookkeeping. Whatever path the user passes (the step
folder, its ``kept/`` folder, one kept file, or a run folder above the step), SFT reads the
``kept/`` files only, and the dataset link in its manifest still names the curation step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KEPT, DROPPED = "kept", "dropped"
CURATE_MARKS = (DROPPED, "report.json")  # beside kept/, these make a folder a curation output


@dataclass(frozen=True)
class DataSource:
    path: Path  # what the user passed (resolved)
    files: tuple[Path, ...]  # the Parquet files to train on, sorted
    step_dir: Path | None  # the step folder whose manifest describes the files, if any


def is_curated(folder: Path) -> bool:
    """A curation output: ``kept/`` beside ``dropped/`` or ``report.json``."""
    return (folder / KEPT).is_dir() and any((folder / m).exists() for m in CURATE_MARKS)


def _parquet_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.parquet") if p.is_file())


def _curated_owner(path: Path) -> Path | None:
    """The curation folder ``path`` lies in (the folder itself, or an ancestor)."""
    for folder in (path, *path.parents):
        if folder.is_dir() and is_curated(folder):
            return folder
    return None


def _refuse_dropped(path: Path, owner: Path) -> None:
    if (owner / DROPPED) in (path, *path.parents):
        raise ValueError(f"{path} holds rows curation dropped; pass {owner / KEPT} instead")


def _step_of(path: Path) -> Path | None:
    from skyray.runs import MANIFEST

    for folder in (path, *path.parents)[:2]:  # the folder, or the step folder above kept/
        if (folder / MANIFEST).is_file():
            return folder
    return None


def resolve_source(data_path: str | Path) -> DataSource:
    """The files to train on (never a curation step's ``dropped/``), or a one-line error."""
    path = Path(data_path).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"SFT data not found: {data_path}")
    owner = _curated_owner(path)
    if owner is not None:  # inside a curation output: its kept/ files only
        _refuse_dropped(path, owner)
        kept = owner / KEPT
        files = [path] if path.is_file() else _parquet_under(kept)
        if not files:
            raise FileNotFoundError(f"curation kept no rows: no .parquet files under {kept}")
        return DataSource(path, tuple(files), _step_of(owner))
    if path.is_file():
        return DataSource(path, (path,), _step_of(path.parent))
    curated = sorted({k.parent for k in path.rglob(KEPT) if is_curated(k.parent)})
    if len(curated) > 1:
        names = ", ".join(str(c) for c in curated)
        raise ValueError(f"{path} holds several curation outputs ({names}); pass one of them")
    if curated:
        return resolve_source(curated[0])
    files = _parquet_under(path)
    if not files:
        raise FileNotFoundError(f"no .parquet files under {path}")
    return DataSource(path, tuple(files), _step_of(path))
