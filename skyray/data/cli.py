"""``skyray data``: list benchmarks, show rows; ``skyray seeds``: the seeds step."""

from __future__ import annotations

import argparse
import json
import os

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="inspect the benchmark registry")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    lister = data_sub.add_parser("list", help="list registered benchmarks and row counts")
    lister.add_argument("--data-dir", default=None, help="default: $SKYRAY_DATA_DIR")
    lister.add_argument("--counts", action="store_true", help="load each one and count rows")
    lister.set_defaults(func=_list)
    show = data_sub.add_parser("show", help="print rows of a benchmark as JSON lines")
    show.add_argument("name")
    show.add_argument("--data-dir", default=None)
    show.add_argument("-n", type=int, default=3, help="rows to print")
    show.set_defaults(func=_show)

    seeds = sub.add_parser("seeds", help="write seed problems into the run folder")
    add_stage_args(seeds)
    seeds.set_defaults(func=_seeds)


def _list(args) -> int:
    from skyray.data.benchmarks import get_benchmark, list_benchmarks, load_benchmark_report

    for name in list_benchmarks():
        bench = get_benchmark(name)
        count = ""
        if args.counts:
            loaded = load_benchmark_report(name, args.data_dir)
            count = f"{len(loaded.problems):>6} rows"
            count += f" ({len(loaded.skipped)} skipped)" if loaded.skipped else ""
        print(f"{name:<26} {bench.role:<5} {count:<22} {bench.description}")
    return 0


def _show(args) -> int:
    from skyray.data.benchmarks import load_benchmark

    for problem in load_benchmark(args.name, args.data_dir)[: args.n]:
        print(json.dumps(problem.to_row(), ensure_ascii=False))
    return 0


def _seeds(args) -> int:
    from skyray.config import load_config
    from skyray.data.seeds import SeedsConfig, run_seeds
    from skyray.runs import read_manifest
    from skyray.storage import display, resolve_run_dir, staged_step

    cfg = load_config(SeedsConfig, args.config, args.overrides)
    if args.address or os.environ.get("RAY_ADDRESS"):  # a cluster to report metrics to
        from skyray.cluster import init_ray

        init_ray(args.address)
    run_dir = resolve_run_dir(args.run_dir, args.storage)
    with staged_step(run_dir, "step-1-seeds") as local:
        path = run_seeds(cfg, local, force=args.force)
    manifest = read_manifest(path)
    print(f"seeds: {manifest['rows']['seeds']} problems -> {display(path)}")
    return 0
