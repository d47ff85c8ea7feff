"""``skyray miniworld``: the miniature world's own commands.

- ``skyray miniworld summary --run-dir runs/demo [--sweep DIR]``: which of the paper's claims
  held on a demo run (``summary.md`` / ``summary.json`` in the run folder);
- ``skyray miniworld leaks runs/demo``: the planted leaks of the synthesis step and whether the
  curate step dropped exactly those (JSON).
"""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("miniworld", help="the miniature world (demo): summary, leak audit")
    cmds = parser.add_subparsers(dest="miniworld_command", required=True, metavar="COMMAND")
    summary = cmds.add_parser("summary", help="the demo's claims with numbers (summary.md)")
    summary.add_argument("--run-dir", default="runs/demo", help="pipeline run folder")
    summary.add_argument(
        "--sweep",
        default="",
        help="a data-scaling sweep folder (else the run's step-4-sweep, else its eval steps)",
    )
    summary.add_argument("--grader", default="strict", help="grader of the claims (strict)")
    summary.set_defaults(func=_summary)
    leaks = cmds.add_parser("leaks", help="planted leaks vs the curate step's decontam drops")
    leaks.add_argument("run_dir", help="pipeline run folder (step-2-synth, step-3-curate)")
    leaks.set_defaults(func=_leaks)


def _summary(args) -> int:
    from skyray.testing.miniworld.summary import write_summary

    path = write_summary(args.run_dir, args.sweep or None, args.grader)
    print(path.read_text())
    return 0


def _leaks(args) -> int:
    from pathlib import Path

    from skyray.pipeline import step_path
    from skyray.testing.miniworld.leaks import audit_leaks

    run_dir = Path(args.run_dir)
    audit = audit_leaks(
        step_path(run_dir, "synth") / "synthetic.parquet", step_path(run_dir, "curate")
    )
    print(json.dumps(audit.as_dict(), indent=1))
    return 0 if audit.ok else 1
