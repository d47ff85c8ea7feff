"""``skyray curate INPUT... --out DIR [--ngram 30] [--benchmarks gsm8k,math] [key=value ...]``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

_OVERRIDE = re.compile(r"^[A-Za-z_][\w.]*=")


def curate_parser(prog: str = "skyray curate") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Curate synthetic samples (JSONL/Parquet with id, question, response) into "
        "OUT/kept, OUT/dropped and OUT/report.json. Trailing key=value pairs override the config "
        "(e.g. near_dedup.threshold=0.85 engine=local).",
    )
    parser.add_argument(
        "items", nargs="+", metavar="INPUT|key=value", help="input files or folders, then overrides"
    )
    parser.add_argument("--out", required=True, help="output (step) folder")
    parser.add_argument("--config", default=None, help="YAML config (stage: curate)")
    parser.add_argument(
        "--ngram", type=int, default=None, help="decontamination n-gram length (default 30)"
    )
    parser.add_argument(
        "--benchmarks",
        default=None,
        help="comma-separated registry names (gsm8k, math are aliases)",
    )
    parser.add_argument(
        "--storage",
        default=None,
        help="storage root (absolute shared path or s3://bucket/prefix; default $SKYRAY_STORAGE): "
        "a relative --out and relative inputs live under it",
    )
    parser.add_argument("--address", default=None, help="Ray cluster address (default: local)")
    parser.add_argument(
        "--force", action="store_true", help="rerun even when the folder is up to date"
    )
    return parser


def register(sub: argparse._SubParsersAction) -> None:
    # inputs, options and trailing overrides may interleave, which one argparse pass cannot
    # parse: hand everything to curate_parser().parse_intermixed_args
    parser = sub.add_parser(
        "curate",
        help="format checks, decontamination and near-dedup of synthetic samples",
        add_help=False,
        usage="skyray curate INPUT... --out DIR [--ngram 30] [--benchmarks gsm8k,math] [key=value ...]",
    )
    parser.add_argument("-h", "--help", action="store_true", help="show the full usage")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    parser.set_defaults(func=_run)


def split_items(items: list[str]) -> tuple[list[str], list[str]]:
    """Inputs versus ``key=value`` overrides (an existing path always counts as an input)."""
    inputs, overrides = [], []
    for item in items:
        if _OVERRIDE.match(item) and not Path(item).exists():
            overrides.append(item)
        else:
            inputs.append(item)
    return inputs, overrides


def _run(args) -> int:
    import json

    from skyray.config import load_config
    from skyray.curate.config import CurateConfig
    from skyray.curate.metrics import STAGES
    from skyray.curate.run import REPORT, curate_folder
    from skyray.runs import MANIFEST
    from skyray.storage import display, resolve_input, resolve_run_dir, staged_step

    parser = curate_parser()
    if args.help:
        parser.print_help()
        return 0
    args = parser.parse_intermixed_args(args.argv)
    inputs, overrides = split_items(args.items)
    if not inputs:
        raise ValueError("curate: give at least one INPUT file or folder")
    if args.ngram is not None:
        overrides.append(f"decontam.ngram={args.ngram}")
    if args.benchmarks is not None:
        names = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
        overrides.append(f"decontam.benchmarks=[{', '.join(names)}]")
    cfg = load_config(CurateConfig, args.config, overrides)
    inputs = [str(resolve_input(item, args.storage)) for item in inputs]
    out_dir = resolve_run_dir(args.out, args.storage)
    parent, name = out_dir.rstrip("/").rsplit("/", 1) if "/" in out_dir else (".", out_dir)
    with staged_step(parent, name) as local:
        out = curate_folder(cfg, inputs, local / name, args.address, args.force)

    report = json.loads((out / REPORT).read_text())
    rows = report["rows"]
    print(
        f"curate: {rows['in']} rows in, {rows['kept']} kept, {rows['dropped']} dropped "
        f"-> {display(out)}"
    )
    for stage in STAGES:
        counts = report["stages"][stage]
        print(
            f"  {stage:<12} in {counts['in']:>8}  dropped {counts['dropped']:>7}  out {counts['out']:>8}"
        )
    for reason, count in report["reasons"].items():
        print(f"  {count:>8}  {reason}")
    print(
        f"  report: {display(out / REPORT)}; manifest: {display(out / MANIFEST)}; "
        f"{report['rows_per_s']} rows/s"
    )
    return 0
