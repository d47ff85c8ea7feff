"""``skyray synth``: the two-stage synthesis step of a run folder.

    skyray synth --config configs/local/synth.yaml --run-dir runs/local teacher.base_url=...

Seeds come from ``<run-dir>/step-1-seeds/seeds.parquet`` unless ``--seeds`` names a file.
"""

from __future__ import annotations

import argparse

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("synth", help="synthesise problems and solutions with a teacher")
    add_stage_args(parser)
    parser.add_argument("--seeds", default=None, help="seeds Parquet (default: the run's step 1)")
    parser.add_argument("--step", type=int, default=2, help="step number in the run folder")
    parser.set_defaults(func=_synth)


def _synth(args) -> int:
    from skyray.config import load_config
    from skyray.runs import read_manifest
    from skyray.storage import display, resolve_input, resolve_run_dir, staged_step
    from skyray.synth.config import SynthConfig
    from skyray.synth.pipeline import run_synth

    cfg = load_config(SynthConfig, args.config, args.overrides)
    run_dir = resolve_run_dir(args.run_dir, args.storage)
    seeds = str(resolve_input(args.seeds, args.storage)) if args.seeds else None
    needs = [] if seeds else [f"step-{args.step - 1}-seeds"]
    with staged_step(run_dir, f"step-{args.step}-synth", needs) as local:
        path = run_synth(cfg, local, args.step, seeds, address=args.address, force=args.force)
    manifest = read_manifest(path)
    usage = manifest["usage"]
    print(
        f"synth: {manifest['rows']['samples']} samples -> {display(path)}/synthetic.parquet "
        f"(requests {usage['requests']}, cached {usage['cached']}, "
        f"tokens {usage['prompt_tokens'] + usage['completion_tokens']}, "
        f"cost ${manifest['cost_usd']:.4f})"
    )
    return 0
