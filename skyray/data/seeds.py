"""Seed problems: drawn from the registry's non-test benchmarks, filtered, written as Parquet.

The paper seeds from MATH train plus OlympiadBench, AGIEval, SciBench and JEEBench maths; test
splits are refused so no evaluation item can become training data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from skyray.config import require
from skyray.records import Problem

SEEDS_FILE = "seeds.parquet"


@dataclass(kw_only=True)
class SeedsConfig:
    sources: list[str] = field(default_factory=lambda: ["math-train"])  # registry names
    levels: list[int] = field(default_factory=list)  # keep only these MATH levels ([] = all)
    subjects: list[str] = field(default_factory=list)  # keep only these subjects ([] = all)
    max_per_source: int = 0  # sample at most this many per source (0 = all)
    seed: int = 0  # RNG seed of that sampling
    data_dir: str = ""  # benchmark data directory ("" = $SKYRAY_DATA_DIR, else the Hub)

    def __post_init__(self) -> None:
        from skyray.data.benchmarks import get_benchmark

        require(bool(self.sources), "seeds.sources must name at least one benchmark")
        for name in self.sources:
            try:
                bench = get_benchmark(name)
            except KeyError as exc:
                raise ValueError(str(exc).strip("'\"")) from None
            require(
                bench.role == "train",
                f"seeds.sources: {name!r} is an evaluation set and is never used for seeds",
            )
        require(all(1 <= lv <= 5 for lv in self.levels), f"levels must be in 1..5: {self.levels}")
        require(self.max_per_source >= 0, "max_per_source must be >= 0")


def select_seeds(problems: list[Problem], cfg: SeedsConfig) -> list[Problem]:
    """Apply the level/subject filters and the per-source cap (deterministic for cfg.seed)."""
    kept = [
        p
        for p in problems
        if (not cfg.levels or p.level in cfg.levels)
        and (not cfg.subjects or p.subject in cfg.subjects)
    ]
    if cfg.max_per_source and len(kept) > cfg.max_per_source:
        rng = random.Random(cfg.seed)
        kept = sorted(rng.sample(kept, cfg.max_per_source), key=lambda p: p.id)
    return kept


def load_seeds(cfg: SeedsConfig) -> tuple[list[Problem], dict[str, dict[str, int]]]:
    """Seeds from every source, with per-source counts (loaded, skipped, kept)."""
    from skyray.data.benchmarks import load_benchmark_report

    seeds: list[Problem] = []
    counts: dict[str, dict[str, int]] = {}
    for name in cfg.sources:
        loaded = load_benchmark_report(name, cfg.data_dir or None)
        kept = select_seeds(loaded.problems, cfg)
        counts[name] = {
            "loaded": len(loaded.problems),
            "skipped_malformed": len(loaded.skipped),
            "kept": len(kept),
        }
        seeds.extend(kept)
    return seeds, counts


def write_problems(problems: list[Problem], path: Path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_parquet_atomic

    table = pa.Table.from_pylist([p.to_row() for p in problems], schema=Problem.arrow_schema())
    write_parquet_atomic(path, table)


def read_problems(path: str | Path) -> list[Problem]:
    import pyarrow.parquet as pq

    return [Problem.from_row(r) for r in pq.read_table(path).to_pylist()]


def run_seeds(cfg: SeedsConfig, run_dir: str | Path, index: int = 1, force: bool = False) -> Path:
    """The seeds step: ``runs/<run>/step-<index>-seeds/seeds.parquet`` (skipped when done,
    unless ``force``)."""
    from skyray.runs import Step

    step = Step(Path(run_dir), index, "seeds")
    if not force and step.is_done(cfg):
        return step.path
    step.start(reset=True)
    seeds, counts = load_seeds(cfg)
    if not seeds:  # an empty seeds step would only fail later, further from its cause
        from skyray.errors import StepFailedError

        loaded = ", ".join(f"{name}: {c['loaded']} loaded" for name, c in counts.items())
        raise StepFailedError(
            f"seeds: no problem passed the filters (levels {cfg.levels or 'all'}, subjects "
            f"{cfg.subjects or 'all'}; {loaded}); {step.path} is not marked done"
        )
    write_problems(seeds, step.path / SEEDS_FILE)
    step.finish(cfg, rows={"seeds": len(seeds)}, extra={"sources": counts})
    return step.path
