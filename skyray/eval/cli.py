"""``skyray eval``: ``score`` grades a predictions file with the shared grader."""

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
