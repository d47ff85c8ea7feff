"""``skyray pipeline``: run the configured stages end to end in one run folder."""

from __future__ import annotations

import argparse

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pipeline", help="run the whole job (seeds -> ... ) in one run folder")
    add_stage_args(parser, default_config=None)
    parser.set_defaults(func=_run)
    tiny = sub.add_parser(
        "tiny-model", help="write a tiny random Llama + local tokenizer (demo/tests, no download)"
    )
    tiny.add_argument("out", help="output folder (kept if it already holds a model)")
    tiny.set_defaults(func=_tiny)


def _tiny(args) -> int:
    from pathlib import Path

    out = Path(args.out)
    if (out / "config.json").is_file():
        print(f"tiny model already at {out}")
        return 0
    from skyray.testing.tiny_model import build_tiny_model

    build_tiny_model(out)
    print(f"tiny model written to {out}")
    return 0


def _run(args) -> int:
    from skyray.config import load_config
    from skyray.pipeline import PipelineConfig, run_pipeline
    from skyray.runs import read_manifest

    overrides = list(args.overrides)
    if args.run_dir != "runs/default":
        overrides.append(f"run_dir={args.run_dir}")
    cfg = load_config(PipelineConfig, args.config, overrides)
    for name, path in run_pipeline(cfg, args.address, force=args.force).items():
        rows = read_manifest(path).get("rows", {})
        counts = ", ".join(f"{k} {v}" for k, v in rows.items())
        print(f"{name:<12} {path}  ({counts})")
        if (path / "report.md").is_file():
            print(f"{'':<12} report: {path / 'report.md'}")
    return 0
