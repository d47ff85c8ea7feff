"""Wall time and peak memory of a command and its whole process tree (Ray's raylet, workers and
Train/Tune actors are descendants of the driver that starts the local cluster).

    python bench/peak_memory.py [--interval 0.5] [--pss] -- make demo

Every ``--interval`` seconds it sums the RSS of the command and all its live descendants
(psutil) and keeps the largest total; ``--pss`` also sums (every 10th sample) the proportional set size (shared
pages such as the torch libraries counted once across processes, a truer total; reading it
costs more). It prints the wall time, the peak total RSS (and PSS), the process count at the
peak, the CPU time of the tree (user + system of every process seen, the figure to estimate a
quiet machine's wall time from on a busy one) and the load average at start and end.
The command's exit status is passed through.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def tree_memory(
    root, pss: bool, cpu: dict[int, float], top: list[tuple[int, str]]
) -> tuple[int, int, int]:
    """(total RSS, total PSS or 0, process count) of ``root`` and its descendants now; records
    each process's CPU time so far in ``cpu`` (pid -> user + system seconds) and fills ``top``
    with (RSS, name) of every process."""
    import psutil

    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, 0
    rss = pss_total = count = 0
    for proc in procs:
        try:
            if pss:
                info = proc.memory_full_info()
                pss_total += info.pss
            else:
                info = proc.memory_info()
            rss += info.rss
            count += 1
            top.append((info.rss, " ".join(proc.cmdline()[:3])[:70] or proc.name()))
            times = proc.cpu_times()
            cpu[proc.pid] = times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return rss, pss_total, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--pss", action="store_true", help="also sum PSS (every 10th sample)")
    parser.add_argument("--top", type=int, default=12, help="processes listed at the peak")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command (after --)")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("peak_memory: give a command after --", file=sys.stderr)
        return 2

    try:
        import psutil
    except ImportError:
        print(
            "peak_memory: needs psutil: run it with .venv/bin/python (make install) "
            "or pip install psutil",
            file=sys.stderr,
        )
        return 2

    load_start = os.getloadavg()
    start = time.monotonic()
    child = subprocess.Popen(command)
    root = psutil.Process(child.pid)
    peak = {"rss": 0, "pss": 0, "procs": 0, "at": 0.0}
    cpu_seen: dict[int, float] = {}
    top_at_peak: list[tuple[int, str]] = []
    tick = 0
    while child.poll() is None:
        top: list[tuple[int, str]] = []
        # PSS reads every process's smaps: only every 10th sample, to keep the probe light
        rss, pss, count = tree_memory(root, args.pss and tick % 10 == 0, cpu_seen, top)
        if rss > peak["rss"]:
            peak.update(rss=rss, procs=count, at=time.monotonic() - start)
            top_at_peak = sorted(top, reverse=True)
        peak["pss"] = max(peak["pss"], pss)
        tick += 1
        time.sleep(args.interval)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    gib = 1024**3
    print(f"peak_memory: command: {' '.join(command)}", file=sys.stderr)
    print(f"peak_memory: exit status {child.returncode}", file=sys.stderr)
    print(f"peak_memory: wall {wall:.1f} s ({wall / 60:.1f} min)", file=sys.stderr)
    print(
        f"peak_memory: peak total RSS {peak['rss'] / gib:.2f} GiB over {peak['procs']} "
        f"processes at {peak['at']:.0f} s"
        + (f"; peak total PSS {peak['pss'] / gib:.2f} GiB" if args.pss else ""),
        file=sys.stderr,
    )
    # Ray's processes outlive their parents (reparented, never reaped by this tree), so the
    # CPU time is each process's last sampled figure (up to one interval short per process)
    for rss, name in top_at_peak[: args.top]:
        print(f"peak_memory:   {rss / gib:6.2f} GiB  {name}", file=sys.stderr)
    cpu = sum(cpu_seen.values())
    print(
        f"peak_memory: CPU time of the tree {cpu:.0f} s over {len(cpu_seen)} processes "
        f"(sampled; reaped children alone: {usage.ru_utime + usage.ru_stime:.0f} s); "
        f"CPU time / wall {cpu / wall:.2f}",
        file=sys.stderr,
    )
    load_end = os.getloadavg()
    print(
        f"peak_memory: load average at start {load_start[0]:.2f} {load_start[1]:.2f} "
        f"{load_start[2]:.2f}, at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f} "
        f"({os.cpu_count()} CPUs)",
        file=sys.stderr,
    )
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())
