"""``skyray selfcompare``: SkyMath's self-compare fine-tuning rounds in one step folder.

    skyray selfcompare --config configs/local/selfcompare.yaml --run-dir runs/demo \
        --model runs/demo/step-4-sft --problems runs/demo/step-1-seeds
"""

from __future__ import annotations

import argparse

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "selfcompare", help="self-compare rounds: answer, compare with the truth, SFT (SkyMath)"
    )
    add_stage_args(parser)
    parser.add_argument("--model", default=None, help="round 1's model (sets model=)")
    parser.add_argument(
        "--problems", action="append", default=None, help="training problems (repeatable)"
    )
    parser.add_argument("--step", type=int, default=8, help="step number in the run folder")
    parser.set_defaults(func=_selfcompare)


def _selfcompare(args) -> int:
    import json

    from skyray.config import load_config
    from skyray.runs import REPORT_MD, read_manifest
    from skyray.selfcompare.config import SelfCompareConfig
    from skyray.selfcompare.run import SAMPLES, run_selfcompare

    overrides = list(args.overrides)
    if args.model:
        overrides.append(f"model={args.model}")
    if args.problems:
        overrides.append(f"problems={json.dumps(args.problems)}")
    cfg = load_config(SelfCompareConfig, args.config, overrides)
    path = run_selfcompare(cfg, args.run_dir, args.step, args.address, force=args.force)
    manifest = read_manifest(path)
    for r in manifest["rounds"]:
        print(
            f"round {r['round']}: {r['problems']} problems, right {r['right']}, wrong {r['wrong']}, "
            f"no answer {r['no-answer']}, errors {r['error']} -> {r['samples']} samples "
            f"(drops {r['drops'] or 0}; teacher tokens "
            f"{r['teacher_tokens']['prompt'] + r['teacher_tokens']['completion']}, "
            f"${r['cost_usd']:.4f})" + (f"; sft {r['sft']['path']}" if r["sft"] else "")
        )
    print(f"selfcompare: {manifest['rows']['samples']} samples -> {path / SAMPLES}")
    print(f"report: {path / REPORT_MD}")
    return 0
