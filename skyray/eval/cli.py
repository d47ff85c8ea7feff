"""``skyray eval``: ``score`` grades a predictions file with the shared grader; ``run`` evaluates a
model on benchmarks (generation, grading, report); ``distractors`` writes GSM8K distractor
variants; ``verify`` scores (question, response) pairs with a verifier."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="evaluate and score model outputs")
    ev_sub = ev.add_subparsers(dest="eval_command", required=True)
    score = ev_sub.add_parser(
        "score",
        help="grade a predictions JSONL (rows: id, response, gold or solution[, level, subject])",
    )
    score.add_argument("predictions", help="predictions JSONL")
    score.add_argument(
        "--benchmark", default="", help="benchmark name for the report (math, gsm8k, ...)"
    )
    score.add_argument("--grader", choices=["strict", "equiv"], default="equiv")
    score.add_argument("--timeout-s", type=float, default=2.0, help="limit per symbolic comparison")
    score.add_argument("--out", default=None, help="write scored rows (JSONL) here")
    score.add_argument(
        "--json", action="store_true", help="print one JSON object instead of a table"
    )
    score.set_defaults(func=_score)
    _register_run(ev_sub)
    _register_distractors(ev_sub)
    _register_verify(ev_sub)


def _score(args) -> int:
    from skyray.eval.score import ScoreConfig, format_table, score_file

    cfg = ScoreConfig(grader=args.grader, timeout_s=args.timeout_s, benchmark=args.benchmark)
    summary = score_file(args.predictions, cfg, args.out)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        title = f"{args.benchmark or args.predictions} ({args.grader} grader)"
        print(format_table(summary, title))
    return 0


def _register_run(ev_sub) -> None:
    from skyray.cli_common import add_stage_args

    run = ev_sub.add_parser(
        "run",
        help="evaluate a model: generate, grade (strict + equiv), write predictions and report",
    )
    run.add_argument(
        "--model", default=None, help="model path or id (served model name for the openai backend)"
    )
    run.add_argument(
        "--benchmarks",
        default=None,
        help="comma list: gsm8k, math, math500, gsm-plus-distraction, gsm8k-distractors, a .jsonl",
    )
    run.add_argument("--step", type=int, default=5, help="step number in the run folder")
    add_stage_args(run)
    run.set_defaults(func=_run)


def _stage_config(cls, args, extra: list[str]):
    from skyray.config import load_config

    return load_config(cls, args.config, [*extra, *args.overrides])


def _run(args) -> int:
    from skyray.eval.run import EvalConfig, run_eval
    from skyray.eval.score import format_table
    from skyray.runs import REPORT_JSON, REPORT_MD

    extra = []
    if args.benchmarks:
        names = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
        extra.append("benchmarks=" + json.dumps(names))
    from skyray.storage import display, resolve_input, resolve_run_dir, staged_step

    cfg = _stage_config(EvalConfig, args, extra)
    run_dir = resolve_run_dir(args.run_dir, args.storage)
    model = str(resolve_input(args.model, args.storage)) if args.model else None
    with staged_step(run_dir, f"step-{args.step}-eval") as local:
        path = run_eval(cfg, local, args.step, model, args.address, force=args.force)
    report = json.loads((path / REPORT_JSON).read_text())
    for name, bench in report["benchmarks"].items():
        for grader, summary in bench["graders"].items():
            print(format_table(summary, f"{name} ({grader} grader)"))
    rows = json.loads((path / "manifest.json").read_text())["rows"]
    if rows.get("generation_errors"):
        print(
            f"generation errors: {rows['generation_errors']} of {rows['predictions']} rows "
            "(kept as error rows, graded wrong; reasons in the report)"
        )
    print(f"report: {display(path / REPORT_MD)}")
    return 0


def _register_distractors(ev_sub) -> None:
    from skyray.cli_common import add_stage_args

    dis = ev_sub.add_parser(
        "distractors",
        help="write GSM8K variants with k = 1..5 irrelevant sentences (Table 7), as JSONL",
    )
    dis.add_argument("--out", required=True, help="output JSONL (one row per variant, k=0 too)")
    add_stage_args(dis)
    dis.set_defaults(func=_distractors)


def _distractors(args) -> int:
    from pathlib import Path

    from skyray.atomic import write_jsonl_atomic
    from skyray.data.benchmarks import load_benchmark
    from skyray.eval.distractors import DistractorConfig, build_distractor_set

    cfg = _stage_config(DistractorConfig, args, [])
    variants, stats = build_distractor_set(load_benchmark(cfg.source), cfg)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = (
        {**v.problem.to_row(), "num_distractors": v.num_distractors, "inserted": v.inserted}
        for v in variants
    )
    write_jsonl_atomic(out, rows)
    print(json.dumps(stats, sort_keys=True))
    print(f"wrote {len(variants)} rows to {out}")
    return 0


def _register_verify(ev_sub) -> None:
    from skyray.cli_common import add_stage_args

    ver = ev_sub.add_parser(
        "verify",
        help="score (question, response) rows with a verifier; write scores and selections",
    )
    ver.add_argument(
        "--input", required=True, help="Parquet or JSONL rows (e.g. synthetic samples)"
    )
    ver.add_argument("--out", required=True, help="output folder")
    ver.add_argument(
        "--ray", action="store_true", help="score as a Ray Data batch stage (else in-process)"
    )
    add_stage_args(ver)
    ver.set_defaults(func=_verify)


def _verify(args) -> int:
    from skyray.eval.verifier import VerifierConfig
    from skyray.eval.verify_io import run_verify

    cfg = _stage_config(VerifierConfig, args, [])
    stats = run_verify(cfg, args.input, args.out, use_ray=args.ray, address=args.address)
    print(json.dumps(stats, sort_keys=True))
    return 0
