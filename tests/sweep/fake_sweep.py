"""A sweep folder written without training: the plan as the sweep writes it, and per trial a
status record and evaluation step folders whose reports come from the evaluation stage's own
report builder, fed with graded rows of a chosen accuracy."""

from __future__ import annotations

from pathlib import Path

from skyray.config import load_config
from skyray.sweep.config import SweepConfig
from skyray.sweep.plan import EVAL2_STEP, EVAL_STEP, build_plans
from skyray.sweep.run import write_plan
from skyray.sweep.trainable import write_status

SUBJECTS = ["Algebra", "Geometry", "Number Theory", "Prealgebra"]


def graded_rows(bench: str, accuracy: float, n: int = 100) -> list[dict]:
    """``n`` graded predictions, the first ``accuracy * n`` correct (both graders agree)."""
    num_right = round(accuracy * n)
    rows = []
    for i in range(n):
        ok = i < num_right
        rows.append(
            {
                "id": f"{bench}/{i}",
                "benchmark": bench,
                "sample_index": 0,
                "gold": "1",
                "level": f"Level {i % 5 + 1}" if bench == "math-test" else None,
                "subject": SUBJECTS[i % 4] if bench == "math-test" else "",
                "error": None,
                "num_distractors": 0,
                "correct_strict": ok,
                "extracted_strict": "1" if ok else "2",
                "correct_equiv": ok,
                "extracted_equiv": "1" if ok else "2",
            }
        )
    return rows


def write_eval_step(folder: Path, accuracies: dict[str, float]) -> dict:
    from skyray.eval.report import build_report
    from skyray.eval.run import write_report

    folder.mkdir(parents=True, exist_ok=True)
    rows = [r for bench, acc in accuracies.items() for r in graded_rows(bench, acc)]
    report = build_report(rows, ["strict", "equiv"], {"model": str(folder)})
    write_report(report, folder)
    (folder / "_SUCCESS").write_text("fake\n")
    return report


def fake_sweep(sweep_dir: Path, overrides: list[str], accuracy, failed=(), pending=()) -> list:
    """``accuracy(params, stage)`` -> {benchmark: accuracy} for each finished trial."""
    cfg = load_config(SweepConfig, None, [f"data={sweep_dir}", *overrides])
    plans = build_plans(cfg, sweep_dir)
    write_plan(cfg, sweep_dir, plans)
    for plan in plans:
        folder = Path(plan.folder)
        folder.mkdir(parents=True, exist_ok=True)
        if plan.name in pending:
            continue
        if plan.name in failed:
            write_status(folder, plan, "failed", error="OSError: tokenizer not found")
            continue
        write_eval_step(folder / f"step-{EVAL_STEP}-eval", accuracy(plan.params, 1))
        if plan.stage2_data:
            write_eval_step(folder / f"step-{EVAL2_STEP}-eval", accuracy(plan.params, 2))
        write_status(folder, plan, "done")
    return plans
