"""``skyray sft``: the SFT step on a Ray cluster (``--address`` or ``$RAY_ADDRESS``, else local)."""

from __future__ import annotations

import argparse

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sft", help="fine-tune a causal LM on curated data (Ray Train + DeepSpeed ZeRO-3)"
    )
    add_stage_args(parser)
    parser.add_argument(
        "--data", default=None, help="curated Parquet file or folder (default: data_path)"
    )
    parser.add_argument("--step", type=int, default=4, help="step number in the run folder")
    parser.set_defaults(func=_run)


def _run(args) -> int:
    from dataclasses import replace

    from skyray.config import load_config
    from skyray.runs import read_manifest
    from skyray.storage import display, resolve_input, resolve_run_dir, staged_step
    from skyray.train.config import SFTConfig
    from skyray.train.trainer import run_sft

    cfg = load_config(SFTConfig, args.config, args.overrides)
    run_dir = resolve_run_dir(args.run_dir, args.storage)
    # data and model may be URIs or folders under the storage root (an earlier job's steps)
    data = args.data or cfg.data_path
    data = str(resolve_input(data, args.storage)) if data else None
    cfg = replace(cfg, model=str(resolve_input(cfg.model, args.storage)) if cfg.model else "")
    with staged_step(run_dir, f"step-{args.step}-sft") as local:
        path = run_sft(cfg, local, args.step, data, address=args.address, force=args.force)
    manifest = read_manifest(path)
    final = manifest.get("final_metrics", {})
    print(
        f"sft: {manifest['rows'].get('kept', 0)} samples, {final.get('step')} steps, "
        f"final loss {final.get('loss')} -> {display(path)}/model"
    )
    return 0
