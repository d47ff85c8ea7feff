"""Running tasks against a teacher: in this process (asyncio) or on Ray actors.

Both engines keep outputs in *task order* and stop at the shortest task prefix that yields the
target sample count, so the result depends only on the plan and the teacher's answers (cached),
never on timing: a run with faults, or a killed-and-rerun job, writes the same rows.

- :class:`LocalEngine`: up to ``2 * max_concurrency`` tasks in flight (the teacher's semaphore
  bounds requests), launched in order while the expected yield is short of the target (plus
  ``max_concurrency`` tasks, so the end of a phase keeps the teacher busy: that extra work is
  cached, never written);
- :class:`RayEngine`: ``num_workers`` actors, each its own teacher client and event loop over
  chunks of tasks, sharing the on-disk cache and a job-wide rate limiter actor.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from skyray.llm.usage import Usage
from skyray.records import SyntheticSample
from skyray.synth.context import OpContext, Task, TaskResult
from skyray.synth.progress import Progress
from skyray.synth.tasks import TaskPlanner


@dataclass
class PhaseResult:
    phase: str
    samples: list[SyntheticSample]
    tasks: int  # tasks in the kept prefix
    drops: Counter[str] = field(default_factory=Counter)
    edits: Counter[str] = field(default_factory=Counter)  # final lines rewritten, questions cleaned


async def run_task(task: Task, ctx: OpContext, xwin_max_corrections: int) -> TaskResult:
    from skyray.synth.evol import run_evol
    from skyray.synth.metamath import run_metamath
    from skyray.synth.xwin import run_xwin

    if task.family == "metamath":
        return await run_metamath(task, ctx)
    if task.family == "evol":
        return await run_evol(task, ctx)
    return await run_xwin(task, ctx, xwin_max_corrections)


def collect(phase: str, results: list[TaskResult], target: int) -> PhaseResult:
    """The first ``target`` samples in task order, with the drops of those tasks."""
    samples: list[SyntheticSample] = []
    drops: Counter[str] = Counter()
    edits: Counter[str] = Counter()
    for result in results:
        samples.extend(result.samples)
        drops.update(result.drops)
        edits.update(result.edits)
    return PhaseResult(phase, samples[:target], len(results), drops, edits)


class _Prefix:
    """Completed results and the length of the contiguous completed prefix."""

    def __init__(self) -> None:
        self.results: dict[int, TaskResult] = {}
        self.end = 0  # tasks [0, end) are all complete
        self.kept = 0  # samples in that prefix
        self.done_samples = 0  # samples in all completed tasks

    def add(self, result: TaskResult) -> None:
        self.results[result.index] = result
        self.done_samples += len(result.samples)
        while self.end in self.results:
            self.kept += len(self.results[self.end].samples)
            self.end += 1

    def ordered(self) -> list[TaskResult]:
        return [self.results[i] for i in range(self.end)]


class LocalEngine:
    def __init__(self, ctx: OpContext, cfg, in_flight: int) -> None:
        self.ctx, self.cfg, self.in_flight = ctx, cfg, in_flight

    def usage(self) -> Usage:
        return self.ctx.teacher.usage

    def run_phase(self, planner: TaskPlanner, target: int) -> PhaseResult:
        from skyray.llm.aio import run_sync

        return run_sync(self._run(planner, target))

    async def _run(self, planner: TaskPlanner, target: int) -> PhaseResult:
        max_tasks = int(target * self.cfg.max_task_factor) + 1
        progress = Progress(
            planner.phase, target, self.cfg.progress_interval_s, getattr(self, "meter", None)
        )
        prefix, pending, next_index = _Prefix(), {}, 0
        try:
            while prefix.kept < target:
                done_tasks = len(prefix.results)
                rate = max(0.05, prefix.done_samples / done_tasks) if done_tasks else 1.0
                # launch in order while the expected yield is short of the target plus one
                # concurrency's worth, so the tail of a phase still keeps requests in flight
                while (
                    len(pending) < self.in_flight
                    and next_index < max_tasks
                    and prefix.done_samples + len(pending) * rate < target + self.in_flight // 2
                ):
                    coro = run_task(
                        planner.task(next_index), self.ctx, self.cfg.xwin_max_corrections
                    )
                    pending[asyncio.ensure_future(coro)] = next_index
                    next_index += 1
                if not pending:
                    break  # task budget spent: the phase ends short of its target
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    del pending[future]
                    prefix.add(future.result())
                progress.update(prefix.end, prefix.kept, self.usage())
        finally:
            for future in pending:
                future.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self.ctx.teacher.aclose()
        progress.update(prefix.end, prefix.kept, self.usage(), force=True)
        return collect(planner.phase, prefix.ordered(), target)


class SynthWorker:
    """Ray actor body: one teacher client and event loop; ``run(tasks)`` -> results."""

    def __init__(self, cfg, cache_path: str, seeds: list, limiter) -> None:
        from skyray.llm.cache import ResponseCache
        from skyray.synth.build import build_context

        self.cfg = cfg
        self.ctx = build_context(cfg, ResponseCache(cache_path), seeds, limiter, check=False)

    async def run(self, tasks: list[Task]) -> list[TaskResult]:
        coros = (run_task(t, self.ctx, self.cfg.xwin_max_corrections) for t in tasks)
        try:
            return list(await asyncio.gather(*coros))
        finally:
            await self.ctx.teacher.aclose()

    async def usage(self) -> Usage:  # async: served on the progress group's own event loop
        return self.ctx.teacher.usage


PROGRESS_GROUP = "progress"  # the actors' concurrency group answering usage() at once


class RayEngine:
    """Chunks of tasks on ``cfg.num_workers`` actors (each at most two chunks queued).

    ``run`` executes one chunk at a time per actor; ``usage`` is served by its own concurrency
    group, so a progress poll is answered while a chunk runs instead of queueing behind it."""

    def __init__(self, cfg, cache_path: str, seeds: list, limiter) -> None:
        import ray

        actor_cls = ray.remote(
            num_cpus=cfg.worker_num_cpus,
            max_concurrency=1,
            concurrency_groups={PROGRESS_GROUP: 1},
            resources=dict(cfg.worker_resources) or None,
        )(SynthWorker)
        self.cfg = cfg
        self.workers = [
            actor_cls.remote(cfg, cache_path, seeds, limiter) for _ in range(cfg.num_workers)
        ]

    def usage(self) -> Usage:
        import ray

        total = Usage()
        polls = [w.usage.options(concurrency_group=PROGRESS_GROUP).remote() for w in self.workers]
        for usage in ray.get(polls):
            total.merge(usage)
        return total

    def run_phase(self, planner: TaskPlanner, target: int) -> PhaseResult:
        import ray

        chunk = max(1, min(self.cfg.chunk_size, target))
        max_tasks = int(target * self.cfg.max_task_factor) + 1
        progress = Progress(
            planner.phase, target, self.cfg.progress_interval_s, getattr(self, "meter", None)
        )
        prefix, pending, next_index = _Prefix(), {}, 0
        load = dict.fromkeys(range(len(self.workers)), 0)
        polled, usage = time.monotonic(), Usage()
        while prefix.kept < target:
            while next_index < max_tasks and min(load.values()) < 2:
                wid = min(load, key=load.get)
                tasks = [
                    planner.task(i) for i in range(next_index, min(max_tasks, next_index + chunk))
                ]
                pending[self.workers[wid].run.remote(tasks)] = wid
                load[wid] += 1
                next_index += len(tasks)
                if prefix.done_samples + sum(load.values()) * chunk >= 2 * target:
                    break
            if not pending:
                break
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                load[pending.pop(ref)] -= 1
                for result in ray.get(ref):
                    prefix.add(result)
            if time.monotonic() - polled >= self.cfg.progress_interval_s:
                polled, usage = time.monotonic(), self.usage()  # one call per worker
            progress.update(prefix.end, prefix.kept, usage)
        for ref in pending:
            ray.cancel(ref)
        progress.update(prefix.end, prefix.kept, self.usage(), force=True)
        return collect(planner.phase, prefix.ordered(), target)
