"""``skyray pipeline``: run the configured stages end to end in one run folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from skyray.cli_common import add_stage_args


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pipeline", help="run the whole job (seeds -> ... ) in one run folder")
    add_stage_args(parser, default_config=None)
    parser.add_argument(
        "--steps",
        default=None,
        help="comma list of steps to run, a subset of the config's in stage order "
        "(seeds,synth,curate,sft|sweep,eval,sft-stage2,eval-stage2,selfcompare,eval-selfcompare); "
        "earlier steps must be done",
    )
    parser.set_defaults(func=_run)
    tiny = sub.add_parser(
        "tiny-model", help="write a tiny random Llama + local tokenizer (demo/tests, no download)"
    )
    tiny.add_argument("out", help="output folder (kept if it already holds a model)")
    tiny.add_argument(
        "--world",
        choices=["math", "miniworld"],
        default="math",
        help="math: 2 layers, hidden 64, BPE for MATH text (machinery checks); miniworld: the "
        "miniature world's student (4 layers, hidden 128, ~0.9M parameters, world tokenizer, then "
        "about a minute of copy pretraining)",
    )
    tiny.set_defaults(func=_tiny)


def _tiny(args) -> int:
    from pathlib import Path

    out = Path(args.out)
    if (out / "config.json").is_file():
        print(f"tiny model already at {out}")
        return 0
    if args.world == "miniworld":
        from skyray.testing.miniworld.model import build_student

        build_student(out)
    else:
        from skyray.testing.tiny_model import build_tiny_model

        build_tiny_model(out)
    print(f"{args.world} model written to {out}")
    return 0


def _run(args) -> int:
    import time

    from skyray.cluster import init_ray
    from skyray.config import load_config
    from skyray.console import summary_table
    from skyray.pipeline import PipelineConfig, run_pipeline
    from skyray.storage import display

    overrides = list(args.overrides)
    if args.run_dir != "runs/default":
        overrides.append(f"run_dir={args.run_dir}")
    if args.storage:
        overrides.append(f"storage={args.storage}")
    if args.steps:
        overrides.append(f"steps=[{args.steps}]")
    cfg = load_config(PipelineConfig, args.config, overrides)
    started = time.time()
    joined = not _connected()
    try:
        # a Ray stage (or a cluster named): join first, so every step, seeds included, reports
        # its Ray metrics; a seeds-only run stays off Ray
        if args.address or os.environ.get("RAY_ADDRESS") or set(cfg.steps) - {"seeds"}:
            init_ray(args.address)
        run_pipeline(cfg, args.address, force=args.force)
    except BaseException:
        _leave(joined)
        print(summary_table(step_rows(cfg, started, failed=True)), flush=True)
        raise
    _leave(joined)
    print(summary_table(step_rows(cfg, started)), flush=True)
    print(f"run folder: {display(run_base(cfg))}", flush=True)
    return 0


def _connected() -> bool:
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def _leave(joined: bool) -> None:
    """Leave the Ray connection this command made before printing the table, so late worker
    log lines never land under it (the last metrics are exported on the way out)."""
    if joined and _connected():
        sys.modules["ray"].shutdown()


def run_base(cfg) -> Path:
    """The run folder to read step markers from: the run under the storage root, or its staged
    copy when that root is a URI."""
    from skyray.storage import is_uri, local_of, resolve_run_dir

    run_dir = resolve_run_dir(cfg.run_dir, cfg.storage)
    return local_of(run_dir) if is_uri(run_dir) else Path(run_dir)


def step_rows(cfg, started: float, failed: bool = False) -> list[dict]:
    """One row per configured step: ``ran`` (finished in this invocation), ``skipped`` (finished
    before), ``failed`` (the first unfinished step of a failed run) or ``not run``."""
    from skyray.pipeline import step_path
    from skyray.runs import SUCCESS, read_manifest
    from skyray.storage import display
    from skyray.summary import summarize

    rows, blamed = [], False
    for name in cfg.steps:
        path = step_path(run_base(cfg), name)
        row: dict = {"step": path.name}
        if (path / SUCCESS).is_file():
            manifest = read_manifest(path)
            fresh = float(manifest.get("finished_at", 0)) >= started
            s = summarize(path, manifest)
            row.update(
                status="ran" if fresh else "skipped",
                rows_in=s.rows_in,
                rows_out=s.rows_out,
                wall_s=s.wall_s,
                headline=s.headline,
                report=display(s.report) if s.report else s.report,
            )
        else:
            row["status"] = "failed" if failed and not blamed else "not run"
            blamed = blamed or failed
        rows.append(row)
    return rows
