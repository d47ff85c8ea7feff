"""Curation throughput: a naive datasketch baseline versus SkyRay's curation, in one run.

    python bench/curate_throughput.py --rows 20000

Builds ``--rows`` realistic samples (~450 words of MATH/GSM8K train text each, 5% exact and 10%
near duplicates, 1% planted test-set leaks; skyray.testing.curate_workload) and measures, printing
rows/s and ratios:

1. MinHash engines in one process (signatures only, word 3-shingles, 128 permutations):
   datasketch ``MinHash.update`` per shingle, datasketch ``MinHash.bulk``, rensa ``RMinHash``,
   classic k-permutation numpy, and SkyRay's one-permutation numpy engine;
2. (a) the naive baseline: datasketch ``MinHash.update`` per shingle + ``MinHashLSH`` insert and
   query, single process (on at most --baseline-rows rows; its rate does not depend on N);
3. (b) SkyRay's dedup stage alone (format checks off, decontamination off) and the whole
   curation (all stages), each on the local Ray cluster and in one process (engine=local, the
   same code): rows/s, Ray's overhead, and peak RSS of the driver and of all Ray workers.

Timings exclude Ray start-up (``ray.init``), which is paid once per job.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SKYRAY_DATA_DIR", str(ROOT.parent / "shared" / "data"))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


class PeakRSS:
    """Samples the RSS of this process and of its descendants (the local Ray cluster this
    driver started: GCS, raylet, workers, actors) every 0.2 s."""

    def __init__(self):
        import psutil

        self.psutil = psutil
        self.driver = 0
        self.workers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = self.psutil.Process()
        while not self._stop.is_set():
            self.driver = max(self.driver, me.memory_info().rss)
            total = 0
            for proc in me.children(recursive=True):
                try:
                    total += proc.memory_info().rss
                except (self.psutil.NoSuchProcess, self.psutil.AccessDenied):
                    continue
            self.workers = max(self.workers, total)
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def shingle_lists(rows, k=3):
    out = []
    for r in rows:
        words = (r["question"] + " " + r["response"]).lower().split()
        out.append([" ".join(words[i : i + k]) for i in range(max(len(words) - k + 1, 1))])
    return out


def bench_engines(rows, num_perm=128):
    """Signatures only, one process: rows/s per engine (tokenising included)."""
    import datasketch
    import rensa

    from skyray.curate.minhash import shingle_hashes, signatures
    from skyray.curate.text import tokenize_batch

    results = {}
    t = time.perf_counter()
    for sh in shingle_lists(rows):
        m = datasketch.MinHash(num_perm=num_perm)
        for s in sh:
            m.update(s.encode())
    results["datasketch update per shingle"] = len(rows) / (time.perf_counter() - t)
    t = time.perf_counter()
    data = [[s.encode() for s in sh] for sh in shingle_lists(rows)]
    datasketch.MinHash.bulk(data, num_perm=num_perm)
    results["datasketch MinHash.bulk"] = len(rows) / (time.perf_counter() - t)
    t = time.perf_counter()
    for sh in shingle_lists(rows):
        m = rensa.RMinHash(num_perm=num_perm, seed=1)
        m.update(sh)
        m.digest()
    results["rensa RMinHash"] = len(rows) / (time.perf_counter() - t)
    texts = [r["question"] + " " + r["response"] for r in rows]
    t = time.perf_counter()
    tokens = tokenize_batch(texts)
    hashes, owner = shingle_hashes(tokens, 3)
    rng = np.random.default_rng(0)
    a = rng.integers(1, 2**63, num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, num_perm, dtype=np.uint64)
    starts = np.searchsorted(owner, np.arange(len(rows)))
    for lo in range(0, len(rows), 16):
        hi = min(lo + 16, len(rows))
        seg = hashes[starts[lo] : starts[hi] if hi < len(rows) else len(hashes)]
        with np.errstate(over="ignore"):
            vals = ((seg[:, None] * a + b) >> np.uint64(32)).astype(np.uint32)
        np.minimum.reduceat(vals, starts[lo:hi] - starts[lo], axis=0)
    results["numpy k-permutation"] = len(rows) / (time.perf_counter() - t)
    t = time.perf_counter()
    tokens = tokenize_batch(texts)
    hashes, owner = shingle_hashes(tokens, 3)
    signatures(hashes, owner, len(rows), num_perm, 1)
    results["skyray one-permutation (numpy)"] = len(rows) / (time.perf_counter() - t)
    return results


def naive_baseline(rows, num_perm=128, threshold=0.8):
    """datasketch MinHash.update per shingle + MinHashLSH, one process: rows/s, duplicates."""
    import datasketch

    t = time.perf_counter()
    lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
    dropped = 0
    for i, sh in enumerate(shingle_lists(rows)):
        m = datasketch.MinHash(num_perm=num_perm)
        for s in sh:
            m.update(s.encode())
        if lsh.query(m):
            dropped += 1
        else:
            lsh.insert(str(i), m)
    return len(rows) / (time.perf_counter() - t), dropped


def run_skyray(path, out, engine, all_stages):
    from skyray.curate.config import CurateConfig, DecontamConfig, FormatConfig
    from skyray.curate.run import curate

    overrides = {}
    if not all_stages:
        overrides = {
            "format": FormatConfig(require_answer_line=False, check_answer=False),
            "decontam": DecontamConfig(enabled=False),
        }
    cfg = CurateConfig(engine=engine, num_workers=2, worker_cpus=0.5, **overrides)
    with PeakRSS() as rss:
        t = time.perf_counter()
        report = curate(cfg, [path], out)
        wall = time.perf_counter() - t
    return report, wall, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--baseline-rows", type=int, default=2000)
    parser.add_argument("--engine-rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from skyray.cluster import init_ray
    from skyray.testing.curate_workload import make_workload

    data_dir = os.environ["SKYRAY_DATA_DIR"]
    t = time.perf_counter()
    work = make_workload(data_dir, args.rows, seed=args.seed, target_tokens=400)
    words = np.mean([len((r["question"] + " " + r["response"]).split()) for r in work.rows[:2000]])
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-"))
    path = work.write_jsonl(tmp / "samples.jsonl")
    print(
        f"workload: {args.rows} rows, {words:.0f} words/row, {path.stat().st_size / 2**20:.0f} MiB, "
        f"{len(work.exact_of)} exact + {len(work.near_of)} near duplicates planted, "
        f"{len(work.leaks)} leaks ({time.perf_counter() - t:.1f} s to build); cpus={os.cpu_count()}"
    )

    sample = work.rows[: max(args.engine_rows, args.baseline_rows)]
    del work  # the driver keeps no rows: its RSS below is the curation's own
    gc.collect()

    print(f"\n1. MinHash engines, one process, {args.engine_rows} rows (rows/s):")
    for name, rate in bench_engines(sample[: args.engine_rows]).items():
        print(f"   {name:<34} {rate:>10.0f}")

    n = min(args.baseline_rows, args.rows)
    base_rate, base_dups = naive_baseline(sample[:n])
    del sample
    gc.collect()
    print(
        f"\n2. (a) naive datasketch update + MinHashLSH, one process, {n} rows: "
        f"{base_rate:.0f} rows/s ({base_dups} flagged as duplicates)"
    )

    t = time.perf_counter()
    init_ray(num_cpus=os.cpu_count(), dashboard=False)
    print(f"\n3. (b) SkyRay (ray.init took {time.perf_counter() - t:.1f} s, not counted)")
    t = time.perf_counter()
    warm = tmp / "warm.jsonl"
    with path.open() as src, warm.open("w") as dst:
        for _, line in zip(range(500), src, strict=False):
            dst.write(line)
    run_skyray(warm, tmp / "out-warm", "ray", True)
    print(
        f"   warm-up run on 500 rows (starts Ray Data and worker processes): {time.perf_counter() - t:.1f} s"
    )
    results = {}
    for stages in (False, True):
        for engine in ("ray", "local"):
            report, wall, rss = run_skyray(path, tmp / f"out-{engine}-{stages}", engine, stages)
            results[(stages, engine)] = (report, wall, rss)
            label = "all stages" if stages else "dedup stage"
            t = report["timings_s"]
            print(
                f"   {label:<11} {engine:<5} {args.rows / wall:>8.0f} rows/s  wall {wall:6.1f} s  "
                f"(index {t['decontam_index']:.1f}, pass1 {t['pass1_annotate']:.1f}, "
                f"pass2 {t['pass2_dedup']:.1f}, pass3 {t['pass3_split']:.1f})  kept {report['rows']['kept']}  "
                f"peak RSS driver {rss.driver / 2**20:.0f} MiB, Ray processes {rss.workers / 2**20:.0f} MiB"
            )
    dedup_ray = args.rows / results[(False, "ray")][1]
    dedup_local = args.rows / results[(False, "local")][1]
    all_ray = args.rows / results[(True, "ray")][1]
    all_local = args.rows / results[(True, "local")][1]
    print("\nsummary")
    print(
        f"   dedup stage on Ray vs naive baseline:   {dedup_ray / base_rate:6.1f}x  (target >= 20x)"
    )
    print(f"   whole curation on Ray:                  {all_ray:6.0f} rows/s (target >= 4000)")
    print(
        f"   Ray vs same code in one process:        dedup {dedup_ray / dedup_local:.2f}x, all stages {all_ray / all_local:.2f}x"
    )
    report = results[(True, "ray")][0]
    print(f"   reasons (all stages, Ray): {report['reasons']}")
    print(f"   2.5M samples at {all_ray:.0f} rows/s: {2.5e6 / all_ray / 60:.1f} min")
    print(
        f"   driver max RSS (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
