"""``skyray sweep``: a data-scaling sweep on Ray Tune, and ``skyray sweep report DIR``, which
rebuilds the scaling report of a sweep folder without training anything."""

from __future__ import annotations

import argparse
import sys

from skyray.cli_common import add_stage_args

USAGE = (
    "skyray sweep [--config YAML] [--run-dir DIR] [--address ADDR] [--retry-failed] [--force] "
    "[key=value ...]\n       skyray sweep report DIR"
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep",
        help="data-scaling sweep (Ray Tune: SFT + eval per data size x model) or its report",
        usage=USAGE,
        description=(
            "Run (or resume) the sweep of --config, writing subsets/, trials/<trial>/step-*/, "
            "tune-*/ and report/ under its run folder; `skyray sweep report DIR` rebuilds "
            "DIR/report/ from the finished trials alone."
        ),
    )
    add_stage_args(parser, default_config=None)
    parser.add_argument(
        "--retry-failed", action="store_true", help="relaunch trials that failed in a resumed sweep"
    )
    parser.set_defaults(func=_run)


def _report(args_rest: list[str]) -> int:
    from pathlib import Path

    if len(args_rest) != 1:
        raise ValueError("usage: skyray sweep report DIR")
    from skyray.sweep.report import write_scaling_report

    path = write_scaling_report(Path(args_rest[0]))
    print(f"report: {path}")
    return 0


def _run(args) -> int:
    if args.overrides and args.overrides[0] == "report":
        return _report(args.overrides[1:])
    from skyray.config import load_config
    from skyray.sweep.config import SweepConfig
    from skyray.sweep.run import run_sweep

    overrides = list(args.overrides)
    if args.run_dir != "runs/default":
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(SweepConfig, args.config, overrides)
    force = bool(getattr(args, "force", False))  # --force: every trial again from scratch
    sweep_dir, statuses = run_sweep(cfg, args.address, args.retry_failed, force)
    failed = 0
    for name, status in statuses.items():
        state = status.get("status", "pending")
        metrics = status.get("metrics", {})
        shown = ", ".join(f"{k} {100 * v:.2f}%" for k, v in metrics.items() if "/" in k)
        print(f"{name:<40} {state:<8} {shown}")
        if state != "done":
            failed += 1
            reason = status.get("error") or "did not finish"
            print(f"skyray: trial {name} {state}: {reason}", file=sys.stderr)
    print(f"report: {sweep_dir / 'report' / 'report.md'}")
    return 1 if failed else 0
