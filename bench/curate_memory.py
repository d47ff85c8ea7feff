"""Does curation memory stay flat as the input grows? The driver in a fresh process per size.

    python bench/curate_memory.py --rows 10000 40000 100000

Builds the largest workload once (skyray.testing.curate_workload), writes its first N rows for
each size, starts one local Ray cluster, then runs ``skyray curate`` (all stages) for each size as a
separate driver process connected to that cluster, and prints that driver's peak RSS
(``getrusage`` of the child) and the peak RSS of all Ray processes during the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SKYRAY_DATA_DIR", str(ROOT.parent / "shared" / "data"))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 40000, 100000])
    args = parser.parse_args()

    import ray
    from curate_throughput import PeakRSS

    from skyray.cluster import init_ray
    from skyray.testing.curate_workload import make_workload

    tmp = Path(tempfile.mkdtemp(prefix="curate-mem-"))
    work = make_workload(os.environ["SKYRAY_DATA_DIR"], max(args.rows), seed=0, target_tokens=400)
    full = work.write_jsonl(tmp / "all.jsonl")
    del work
    paths = {}
    for n in sorted(args.rows):
        paths[n] = tmp / f"rows-{n}.jsonl"
        with full.open() as src, paths[n].open("w") as dst:
            for _, line in zip(range(n), src, strict=False):
                dst.write(line)
    init_ray(num_cpus=os.cpu_count(), dashboard=False)
    address = ray.get_runtime_context().gcs_address
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(
        f"{'rows':>8} {'MiB in':>7} {'wall s':>7} {'rows/s':>7} {'driver peak MiB':>16} {'Ray procs peak MiB':>19}"
    )
    for n, path in paths.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        cmd = [
            sys.executable,
            "-m",
            "skyray.cli",
            "curate",
            str(path),
            "--out",
            str(tmp / f"out-{n}"),
        ]
        with PeakRSS() as rss:
            t = time.perf_counter()
            subprocess.run([*cmd, "--address", address], env=env, check=True, capture_output=True)
            wall = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        driver = f"{peak / 1024:.0f}" if peak > before else f"<= {before / 1024:.0f}"
        print(
            f"{n:>8} {path.stat().st_size / 2**20:>7.0f} {wall:>7.1f} {n / wall:>7.0f} "
            f"{driver:>16} {rss.workers / 2**20:>19.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
