"""Where the three passes run: on Ray (Ray Data actors for the per-chunk passes, Ray tasks for
the dedup shards) or in this process (the same functions, for small inputs, debugging and the
overhead benchmark). The driver only ever holds small per-chunk statistics; rows, features and
decisions stay in files and in the object store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from skyray.curate import dedup
from skyray.curate.annotate import annotate_chunk
from skyray.curate.config import CurateConfig
from skyray.curate.decontam import Matcher, NgramIndex
from skyray.curate.reader import Chunk
from skyray.curate.split import split_chunk


class LocalEngine:
    """The passes in this process, one chunk after another."""

    name = "local"

    def annotate(
        self, chunks: list[Chunk], cfg: CurateConfig, index: NgramIndex | None, work: Path
    ) -> list[dict[str, Any]]:
        matcher = Matcher(index) if index is not None else None
        return [annotate_chunk(c, cfg, matcher, work) for c in chunks]

    def dedup(self, cfg: CurateConfig, files: list[str]) -> tuple[Any, dict[str, Any]]:
        shards = cfg.near_dedup.num_shards
        exact = (
            [dedup.exact_shard(files, s, shards) for s in range(shards)]
            if cfg.exact_dedup.enabled
            else []
        )
        excluded = (
            np.sort(np.concatenate([d.pos for d in exact])) if exact else np.zeros(0, np.int64)
        )
        stats: dict[str, Any] = {}
        parts = list(exact)
        if cfg.near_dedup.enabled:
            pairs = [
                dedup.band_shard(files, b, excluded, cfg.near_dedup)
                for b in dedup.shard_bands(cfg.near_dedup)
            ]
            near = dedup.confirm_and_cluster(files, np.concatenate(pairs), cfg.near_dedup)
            parts.append(near.decisions)
            stats = near.stats
        return dedup.Decisions.merge(parts), stats

    def split(
        self, chunks: list[Chunk], decisions: Any, work: Path, out: Path
    ) -> list[dict[str, Any]]:
        return [split_chunk(c, decisions, work, out) for c in chunks]


class _Annotator:
    """Ray Data actor: loads the shared decontamination index once, then annotates chunks."""

    def __init__(self, cfg: CurateConfig, index_ref: list, work_dir: str):
        import ray

        from skyray.curate.metrics import StageMetrics

        index = ray.get(index_ref[0]) if index_ref[0] is not None else None
        self.matcher = Matcher(index) if index is not None else None
        self.cfg, self.work = cfg, Path(work_dir)
        self.metrics = StageMetrics()

    def __call__(self, batch):
        import pyarrow as pa

        out = []
        for row in batch.to_pylist():
            stats = annotate_chunk(Chunk(**row), self.cfg, self.matcher, self.work)
            self.metrics.record_pass1(stats)
            out.append(json.dumps(stats))
        return pa.table({"stats": out})


class _Splitter:
    """Ray Data actor: applies the dedup decisions (fetched once) and writes output shards."""

    def __init__(self, decisions_ref: list, work_dir: str, out_dir: str):
        import ray

        from skyray.curate.metrics import StageMetrics

        self.decisions = ray.get(decisions_ref[0])
        self.work, self.out = Path(work_dir), Path(out_dir)
        self.metrics = StageMetrics()

    def __call__(self, batch):
        import pyarrow as pa

        out = []
        for row in batch.to_pylist():
            stats = split_chunk(Chunk(**row), self.decisions, self.work, self.out)
            self.metrics.record_pass3(stats)
            out.append(json.dumps(stats))
        return pa.table({"stats": out})


class RayEngine:
    """Passes 1 and 3 as Ray Data ``map_batches`` over chunk descriptors (actors with fractional
    CPUs, so the pool never starves Ray Data's own tasks); pass 2 as Ray tasks per shard."""

    name = "ray"

    def __init__(self, cfg: CurateConfig, address: str | None = None):
        from skyray.cluster import cluster_cpus, init_ray

        init_ray(address)
        self.workers = cfg.num_workers or max(1, int(cluster_cpus()))
        self.cpus = cfg.worker_cpus

    def _map(
        self, chunks: list[Chunk], actor: type, kwargs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        import ray

        ds = ray.data.from_items([c.to_dict() for c in chunks], override_num_blocks=len(chunks))
        ds = ds.map_batches(
            actor,
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(chunks))),
            num_cpus=self.cpus,
            fn_constructor_kwargs=kwargs,
        )
        return [json.loads(row["stats"]) for row in ds.iter_rows()]

    def annotate(self, chunks, cfg, index, work):
        import ray

        ref = ray.put(index) if index is not None else None
        return self._map(
            chunks, _Annotator, {"cfg": cfg, "index_ref": [ref], "work_dir": str(work)}
        )

    def dedup(self, cfg: CurateConfig, files: list[str]):
        import ray

        opts = {"num_cpus": self.cpus}
        shards = cfg.near_dedup.num_shards
        exact = []
        if cfg.exact_dedup.enabled:
            task = ray.remote(dedup.exact_shard).options(**opts)
            exact = [task.remote(files, s, shards) for s in range(shards)]
        parts = list(exact)
        stats: dict[str, Any] = {}
        if cfg.near_dedup.enabled:
            bands = ray.remote(_band_task).options(**opts)
            pairs = [bands.remote(files, b, cfg, *exact) for b in dedup.shard_bands(cfg.near_dedup)]
            near, stats_ref = (
                ray.remote(_confirm_task).options(num_returns=2, **opts).remote(files, cfg, *pairs)
            )
            parts.append(near)
            stats = ray.get(stats_ref)
        merged = ray.remote(_merge_task).options(**opts).remote(*parts)
        return merged, stats

    def split(self, chunks, decisions, work, out):
        return self._map(
            chunks,
            _Splitter,
            {"decisions_ref": [decisions], "work_dir": str(work), "out_dir": str(out)},
        )


def _band_task(files, bands, cfg, *exact):
    excluded = np.sort(np.concatenate([d.pos for d in exact])) if exact else np.zeros(0, np.int64)
    return dedup.band_shard(files, bands, excluded, cfg.near_dedup)


def _confirm_task(files, cfg, *pairs):
    result = dedup.confirm_and_cluster(files, np.concatenate(pairs), cfg.near_dedup)
    return result.decisions, result.stats


def _merge_task(*parts):
    return dedup.Decisions.merge(list(parts))


def make_engine(cfg: CurateConfig, address: str | None = None):
    return RayEngine(cfg, address) if cfg.engine == "ray" else LocalEngine()
