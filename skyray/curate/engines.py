"""Where the three passes run: on Ray (Ray Data over chunk descriptors for the per-chunk
passes, Ray tasks for the dedup shards) or in this process (the same functions, for small
inputs, debugging and the overhead benchmark). The driver only holds small per-chunk
statistics; rows, features and decisions stay in files and in the object store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
        self, chunks: list[Chunk], cfg: CurateConfig, index: NgramIndex | None, work: str | Path
    ) -> list[dict[str, Any]]:
        matcher = Matcher(index) if index is not None else None
        return [annotate_chunk(c, cfg, matcher, work) for c in chunks]

    def dedup(self, cfg: CurateConfig, files: list[str]) -> tuple[Any, dict[str, Any]]:
        shards = [dedup.dedup_shard(files, s, cfg) for s in range(cfg.near_dedup.num_shards)]
        return dedup.near_decisions(files, cfg, [e for e, _ in shards], [p for _, p in shards])

    def split(
        self, chunks: list[Chunk], decisions: Any, work: str | Path, out: str | Path
    ) -> list[dict[str, Any]]:
        return [split_chunk(c, decisions, work, out) for c in chunks]


class _Annotator:
    """Ray Data actor for pass 1: loads the shared decontamination index once (its arrays are
    zero-copy views of the object store), then annotates one chunk per call."""

    def __init__(self, cfg: CurateConfig, index_ref: list, work_dir: str):
        import ray

        from skyray.curate.metrics import StageMetrics

        index = ray.get(index_ref[0]) if index_ref[0] is not None else None
        self.matcher = Matcher(index) if index is not None else None
        self.cfg, self.work = cfg, work_dir  # a local path or a URI
        # work is OUT/_work; its folder names the step and run (a URI's too)
        self.metrics = StageMetrics(Path(str(work_dir).rstrip("/").rsplit("/", 1)[0]))

    def __call__(self, batch):
        import pyarrow as pa

        out = []
        for row in batch.to_pylist():
            stats = annotate_chunk(Chunk(**row), self.cfg, self.matcher, self.work)
            self.metrics.record_pass1(stats)
            out.append(json.dumps(stats))
        return pa.table({"stats": out})


def _split_chunks(chunks: list[dict], decisions, work_dir: str, out_dir: str) -> list[dict]:
    """Ray task for pass 3: a few chunks, with the decisions resolved zero-copy from the object
    store (a Ray task, not a Ray Data pass: on a small cluster a fresh Ray Data pass costs
    seconds of start-up for what is a few file writes)."""
    from skyray.curate.metrics import StageMetrics

    metrics = StageMetrics(out_dir)
    out = []
    for row in chunks:
        stats = split_chunk(Chunk(**row), decisions, work_dir, out_dir)
        metrics.record_pass3(stats)
        out.append(stats)
    return out


def _warm_up() -> bool:
    import pyarrow.parquet  # noqa: F401

    from skyray.curate import dedup, split  # noqa: F401

    return True


def _near_task(files, cfg, num_shards, *parts):
    exact, pairs = list(parts[0 : 2 * num_shards : 2]), list(parts[1 : 2 * num_shards : 2])
    return dedup.near_decisions(files, cfg, exact, pairs)


class RayEngine:
    """Pass 1 as Ray Data ``map_batches`` with an actor pool (fractional CPUs, so the pool
    never starves Ray Data's own tasks), pass 2 as one Ray task per shard plus one to confirm
    and cluster, pass 3 as Ray tasks over batches of chunks."""

    name = "ray"

    def __init__(self, cfg: CurateConfig, address: str | None = None):
        import ray

        from skyray.cluster import cluster_cpus, init_ray

        init_ray(address)
        self.workers = cfg.num_workers or max(1, int(cluster_cpus()))
        self.cpus = cfg.worker_cpus
        self.resources = dict(cfg.worker_resources) or None  # place them on chosen nodes
        # import the stage's modules in idle workers while the driver builds the index
        warm = ray.remote(_warm_up).options(num_cpus=self.cpus, resources=self.resources)
        slots = max(self.workers, int(cluster_cpus() / self.cpus))  # tasks that can run at once
        self._warming = [warm.remote() for _ in range(slots)]

    def _dataset(self, chunks: list[Chunk]):
        import ray

        return ray.data.from_items([c.to_dict() for c in chunks], override_num_blocks=len(chunks))

    def _batch_size(self, chunks: list[Chunk]) -> int:
        """Chunks per call: about four calls per worker, so per-task overhead stays small while
        the work still spreads and streams."""
        return max(1, len(chunks) // (4 * self.workers))

    def annotate(self, chunks, cfg, index, work):
        import ray

        ref = ray.put(index) if index is not None else None
        ds = self._dataset(chunks).map_batches(
            _Annotator,
            batch_size=self._batch_size(chunks),
            batch_format="pyarrow",
            # one call in flight per actor: batches go to whichever actor is free, so a slow
            # starter does not leave its partner with a queue while it sits idle
            compute=ray.data.ActorPoolStrategy(
                size=min(self.workers, len(chunks)), max_tasks_in_flight_per_actor=1
            ),
            num_cpus=self.cpus,
            **({"resources": self.resources} if self.resources else {}),
            fn_constructor_kwargs={"cfg": cfg, "index_ref": [ref], "work_dir": str(work)},
        )
        return [json.loads(row["stats"]) for row in ds.iter_rows()]

    def dedup(self, cfg: CurateConfig, files: list[str]):
        import ray

        opts = {"num_cpus": self.cpus, "num_returns": 2, "resources": self.resources}
        shard = ray.remote(dedup.dedup_shard).options(**opts)
        parts = [shard.remote(files, s, cfg) for s in range(cfg.near_dedup.num_shards)]
        final = ray.remote(_near_task).options(**opts)
        decisions, stats = final.remote(files, cfg, len(parts), *[r for p in parts for r in p])
        return decisions, ray.get(stats)

    def split(self, chunks, decisions, work, out):
        import ray

        task = ray.remote(_split_chunks).options(num_cpus=self.cpus, resources=self.resources)
        size = self._batch_size(chunks)
        refs = [
            task.remote([c.to_dict() for c in chunks[i : i + size]], decisions, str(work), str(out))
            for i in range(0, len(chunks), size)
        ]
        return [stats for part in ray.get(refs) for stats in part]


def make_engine(cfg: CurateConfig, address: str | None = None):
    return RayEngine(cfg, address) if cfg.engine == "ray" else LocalEngine()
