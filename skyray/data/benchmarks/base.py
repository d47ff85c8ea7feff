"""The benchmark registry: one module per benchmark registers a :class:`Benchmark` here.

A benchmark loads from a local directory (``SKYRAY_DATA_DIR`` by default, or a path the user
gives) and falls back to the Hugging Face Hub by dataset id when no local copy exists. Every row
is normalised to :class:`~skyray.records.Problem`. The same registry feeds seeds (``role="train"``
entries only), evaluation and decontamination (``role="test"``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from skyray.records import Problem

DATA_DIR_ENV = "SKYRAY_DATA_DIR"
logger = logging.getLogger(__name__)


class DataNotFoundError(FileNotFoundError):
    """A benchmark's local directory or file is missing (and no Hub fallback applies)."""


class MalformedRowError(ValueError):
    """A row of a benchmark file cannot be parsed or lacks a required field."""


class SkipRow(Exception):
    """A well-formed row that cannot serve as a problem (e.g. an empty gold answer).

    Loaders skip it, and the skip is logged and counted, never silent."""


@dataclass(frozen=True)
class HubSource:
    """Where the same data lives on the Hugging Face Hub."""

    dataset_id: str
    split: str
    config: str | None = None


@dataclass(frozen=True)
class Benchmark:
    name: str  # registry key, e.g. "math-test"
    role: Literal["train", "test"]  # "test" entries are never used as seeds or training data
    relpath: str  # file or folder under the data directory
    parse_rows: Callable[[Path], Iterator[Problem]]  # local loader
    description: str = ""
    hub: HubSource | None = None  # fallback when the local copy is missing
    from_hub_row: Callable[[int, dict[str, Any]], Problem | None] | None = None
    # procedural benchmarks (no files): the rows, made on demand; relpath is then unused
    generate: Callable[[], Iterable[Problem]] | None = None


REGISTRY: dict[str, Benchmark] = {}


def register(benchmark: Benchmark) -> Benchmark:
    assert benchmark.name not in REGISTRY, f"duplicate benchmark {benchmark.name}"
    REGISTRY[benchmark.name] = benchmark
    return benchmark


def resolve_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """The directory given, else ``$SKYRAY_DATA_DIR``, else None (Hub only)."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env) if env else None


def read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``file:line``, object) for each non-blank line; MalformedRowError names file and line."""
    from skyray.jsonl import iter_jsonl

    return iter_jsonl(path, MalformedRowError)


def read_json_list(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based index, object) for a JSON file holding a list of objects."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRowError(f"{path}: not valid UTF-8 JSON ({exc})") from None
    if not isinstance(data, list):
        raise MalformedRowError(f"{path}: expected a JSON list of objects")
    for index, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            raise MalformedRowError(f"{path}: item {index}: expected a JSON object")
        yield index, obj


def field(obj: dict[str, Any], key: str, where: str, *, allow_empty: bool = False) -> str:
    """A required string field; MalformedRowError with the location when missing or empty."""
    value = obj.get(key)
    if value is None or (not allow_empty and not str(value).strip()):
        raise MalformedRowError(f"{where}: missing field {key!r}")
    return str(value)


def list_benchmarks(role: str | None = None) -> list[str]:
    _load_all()
    return sorted(n for n, b in REGISTRY.items() if role is None or b.role == role)


def get_benchmark(name: str) -> Benchmark:
    _load_all()
    if name not in REGISTRY:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


@dataclass
class Loaded:
    problems: list[Problem]
    skipped: list[str]  # "file:line: reason" for each row left out


def load_benchmark(name: str, data_dir: str | Path | None = None) -> list[Problem]:
    """All usable rows of ``name`` as Problems, from the local copy or else the Hub.
    Unusable rows are logged (see :func:`load_benchmark_report` for the list)."""
    return load_benchmark_report(name, data_dir).problems


def load_benchmark_report(name: str, data_dir: str | Path | None = None) -> Loaded:
    """Like :func:`load_benchmark`, also returning the skipped rows and why."""
    skipped: list[str] = []
    problems = _load(name, data_dir, skipped)
    for reason in skipped:
        logger.warning("%s: skipped row %s", name, reason)
    return Loaded(problems, skipped)


def iter_skipping(rows: Iterable[Problem | SkipRow | None], skipped: list[str]) -> list[Problem]:
    """Collect rows; SkipRow items (yielded, not raised, by loaders) are recorded in ``skipped``."""
    out = []
    for row in rows:
        if isinstance(row, SkipRow):
            skipped.append(str(row))
        elif row is not None:
            out.append(row)
    return out


def skip_or(fn: Callable[..., Problem | None], *args: Any) -> Problem | SkipRow | None:
    """Call a row parser, returning (not raising) its SkipRow."""
    try:
        return fn(*args)
    except SkipRow as skip:
        return skip


def _load(name: str, data_dir: str | Path | None, skipped: list[str]) -> list[Problem]:
    bench = get_benchmark(name)
    if bench.generate is not None:
        return iter_skipping(bench.generate(), skipped)
    root = resolve_data_dir(data_dir)
    if root is not None:
        if not root.is_dir():
            raise DataNotFoundError(f"data directory {root} does not exist (set {DATA_DIR_ENV})")
        path = root / bench.relpath
        if path.exists():
            return iter_skipping(bench.parse_rows(path), skipped)
        if bench.hub is None:
            raise DataNotFoundError(f"{name}: {path} not found and no Hub copy is registered")
    if bench.hub is None:
        raise DataNotFoundError(f"{name}: no data directory given (set {DATA_DIR_ENV}){_hint()}")
    return _load_from_hub(bench, str(root / bench.relpath) if root else None, skipped)


def _hint() -> str:
    """Where a data directory is missing inside a Ray job: how to pass it."""
    from skyray.storage import in_ray_job

    if not in_ray_job() or os.environ.get(DATA_DIR_ENV):
        return ""
    return (
        f"; {DATA_DIR_ENV} is not set in this Ray job: pass it with --runtime-env-json "
        f'\'{{"env_vars": {{"{DATA_DIR_ENV}": "/path/on/every/node"}}}}\''
    )


def _load_from_hub(bench: Benchmark, where: str | None, skipped: list[str]) -> list[Problem]:
    assert bench.hub is not None and bench.from_hub_row is not None
    try:
        import datasets
    except ImportError:
        raise DataNotFoundError(
            f"{bench.name}: no local copy{f' at {where}' if where else ''} and the `datasets` "
            f"package is not installed for the Hub fallback{_hint()}"
        ) from None
    hub = bench.hub
    try:
        ds = datasets.load_dataset(hub.dataset_id, hub.config, split=hub.split)
    except Exception as exc:  # offline, unknown id, auth: one clear line
        raise DataNotFoundError(
            f"{bench.name}: no local copy{f' at {where}' if where else ''} and the Hub copy "
            f"{hub.dataset_id} ({hub.split}) could not be loaded: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}{_hint()}"
        ) from None
    rows = (skip_or(bench.from_hub_row, i, row) for i, row in enumerate(ds))
    return iter_skipping(rows, skipped)


def _load_all() -> None:
    """Import every benchmark module so it registers itself."""
    from skyray.data.benchmarks import catalog  # noqa: F401
