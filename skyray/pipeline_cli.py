"""``skyray pipeline``: run the configured stages end to end in one run folder."""

from __future__ import annotations

import argparse

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pipeline", help="run the whole job (seeds -> ... ) in one run folder")
    add_stage_args(parser, default_config=None)
    parser.set_defaults(func=_run)


def _run(args) -> int:
    from skyray.config import load_config
    from skyray.pipeline import PipelineConfig, run_pipeline
    from skyray.runs import MANIFEST

    overrides = list(args.overrides)
    if args.run_dir != "runs/default":
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(PipelineConfig, args.config, overrides)
    for name, path in run_pipeline(cfg).items():
        print(f"{name:<8} done -> {path} ({path / MANIFEST})")
    return 0
