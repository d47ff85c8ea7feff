"""Synthesis throughput against the deterministic teacher, and concurrency against a slow one.

    python bench/synth_throughput.py [--requests 3000] [--concurrency 64] [--engine uvicorn|ray]

Prints, all measured in this run:

1. ``naive SDK``: the openai SDK used the obvious way (one ``AsyncOpenAI``, typed ``create``,
   a semaphore) over the same chat requests: the baseline;
2. ``teacher client``: :class:`OpenAITeacher` (openai SDK, retries, accounting, semaphore):
   requests/s, client CPU ms/request, ratio to the baseline;
3. ``synthesis job``: ``run_synth`` (planning, prompts, parsing, grading, SQLite cache, Parquet):
   completed requests/s, driver CPU ms/request, ratio to the baseline;
4. ``1 s-latency teacher``: the job behind a proxy adding 1 s to every request, with
   ``max_concurrency`` C: the mean number of requests in flight at the proxy, against C.

The teacher runs in its own process (uvicorn, or Ray Serve with ``--engine ray``), so the CPU
figures are the client's alone. On a shared 2-core machine, other load lowers every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault(
    "SKYRAY_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")
)


def solve_requests(problems, n):
    from skyray.synth.prompts import render

    return [
        [
            {
                "role": "user",
                "content": render("solve", question=problems[i % len(problems)].problem)[0],
            }
        ]
        for i in range(n)
    ]


def naive_sdk(url: str, chats, concurrency: int) -> None:
    """The baseline: the openai SDK used the obvious way (one AsyncOpenAI, typed ``create``)."""
    from openai import AsyncOpenAI

    async def run() -> None:
        client = AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
        sem = asyncio.Semaphore(concurrency)

        async def one(i, msgs):
            async with sem:
                await client.chat.completions.create(
                    model="deterministic", messages=msgs, temperature=0.7, seed=i
                )

        await asyncio.gather(*(one(i, m) for i, m in enumerate(chats)))
        await client.close()

    asyncio.run(run())


def measure(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def report(name: str, n: int, wall: float, cpu: float, baseline: float | None) -> float:
    rps = n / wall
    ratio = f", {rps / baseline:.2f}x the naive-SDK baseline" if baseline else ""
    print(f"{name:<16} {n:>6} requests in {wall:6.2f} s: {rps:7.1f} req/s, "
          f"client CPU {1000 * cpu / n:5.2f} ms/request{ratio}")  # fmt: skip
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--engine", choices=["uvicorn", "ray"], default="uvicorn")
    parser.add_argument("--slow-concurrency", type=int, default=32)
    args = parser.parse_args()

    from skyray.data.benchmarks import load_benchmark
    from skyray.data.seeds import write_problems
    from skyray.serve.server import ServeConfig

    problems = [p for p in load_benchmark("math-train") if p.level][:1000]
    work = Path(tempfile.mkdtemp(prefix="skyray-bench-"))
    seeds = work / "seeds.parquet"
    write_problems(problems, seeds)
    if args.engine == "ray":
        from skyray.cluster import init_ray

        init_ray(num_cpus=2, dashboard=False)
    cfg = ServeConfig(engine=args.engine, port=0, seeds_path=str(seeds), replica_num_cpus=1)
    print(f"os.cpu_count()={os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    from skyray.serve.server import start_server

    server = start_server(cfg)
    url, server_pid = server.base_url, server.process.pid if server.process else None
    try:
        _run(args, url, server_pid, problems, seeds, work)
    finally:
        server.stop()


def _cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux /proc)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(args, url, server_pid, problems, seeds, work) -> None:
    from skyray.config import load_config
    from skyray.llm import OpenAITeacher, TeacherConfig
    from skyray.synth.config import SynthConfig
    from skyray.synth.pipeline import run_synth
    from skyray.testing.faults import FaultProxy

    chats = solve_requests(problems, args.requests)
    # warm-up: connections, imports, server caches
    OpenAITeacher(TeacherConfig(base_url=url)).complete_batch(chats[:200])
    _, wall, cpu = measure(lambda: naive_sdk(url, chats, args.concurrency))
    base = report("naive SDK", len(chats), wall, cpu, None)

    teacher = OpenAITeacher(TeacherConfig(base_url=url, max_concurrency=args.concurrency))
    sampling = {"temperature": 0.7, "seed": 1}
    outs, wall, cpu = measure(lambda: teacher.complete_batch(chats, sampling))
    assert all(o.ok for o in outs)
    report("teacher client", len(chats), wall, cpu, base)

    # the whole job: about 1 request per 0.2 samples... size it to ~args.requests requests
    per_phase = max(50, args.requests // 12)
    overrides = [
        f"teacher.base_url={url}", f"teacher.max_concurrency={args.concurrency}",
        f"num_seed_synthetic={per_phase}", f"num_normal={per_phase}", f"num_hard={per_phase // 2}",
        "coreset.embedder=hash", "coreset.use_ray=false", "progress_interval_s=1000",
    ]  # fmt: skip
    job_cfg = load_config(SynthConfig, None, overrides)
    # warm-up job (lazy imports of the grader, Parquet, ...): steady state is what a
    # multi-day run sees
    run_synth(
        load_config(SynthConfig, None, [*overrides, "num_normal=20"]), work / "warm", 2, seeds
    )
    server_cpu = _cpu_of(server_pid)
    step, wall, cpu = measure(lambda: run_synth(job_cfg, work / "job", 2, seeds))
    manifest = json.loads((step / "manifest.json").read_text())
    sent = manifest["usage"]["sent"]
    report("synthesis job", sent, wall, cpu, base)
    server_note = ""
    if server_pid:
        server_note = f", teacher server CPU {1000 * (_cpu_of(server_pid) - server_cpu) / sent:.2f} ms/request"
    print(f"{'':<16} ({manifest['rows']['samples']} samples written{server_note})")

    upstream = url.rsplit("/v1", 1)[0]
    with FaultProxy(upstream, latency_s=1.0) as proxy:
        slow = load_config(
            SynthConfig,
            None,
            [*overrides[2:], f"teacher.base_url={proxy.url}/v1",
             f"teacher.max_concurrency={args.slow_concurrency}",
             "num_seed_synthetic=400", "num_normal=0", "num_hard=0"],
        )  # fmt: skip
        proxy.stats.reset_window()
        _, wall, _ = measure(lambda: run_synth(slow, work / "slow", 2, seeds))
        mean = proxy.stats.mean_in_flight()
        sent = proxy.stats.forwarded
    print(
        f"1 s-latency teacher: {sent} requests in {wall:.1f} s, mean in flight {mean:.1f} "
        f"of max_concurrency {args.slow_concurrency} ({100 * mean / args.slow_concurrency:.0f}%), "
        f"ideal time {sent / args.slow_concurrency:.1f} s"
    )


if __name__ == "__main__":
    main()
