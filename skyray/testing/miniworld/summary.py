"""The demo's closing report: ``summary.md`` and ``summary.json`` in the run folder.

It reads what the stages wrote (the synth and curate manifests and drops, the sweep's trial
reports, the self-compare step) and states the paper's claims with their numbers
(:mod:`skyray.testing.miniworld.claims`), the leak audit by benchmark item
(:mod:`skyray.testing.miniworld.leaks`), the scaling table and per-level accuracy before and
after stage 2, and where the sweep's own report and plots are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skyray.eval.report import cell
from skyray.testing.miniworld.claims import (
    HARD_LEVELS,
    Claim,
    cell_of,
    leak_claim,
    pct,
    render_summary,
    scaling_claim,
    selfcompare_claim,
    stage2_claim,
)

BENCHMARK = "miniworld-test"
SUMMARY_MD = "summary.md"
SUMMARY_JSON = "summary.json"


def scaling_points(results: list, grader: str) -> dict[int, dict[int, dict[str, Any]]]:
    """size -> stage -> that trial's eval report (finished trials of the first model only)."""
    out: dict[int, dict[int, dict[str, Any]]] = {}
    first_model = results[0].params["model"] if results else None
    for r in results:
        if r.params["model"] == first_model and r.reports:
            out.setdefault(int(r.params["size"]), {}).update(r.reports)
    return dict(sorted(out.items()))


def level_table(points: dict[int, dict[int, dict[str, Any]]], grader: str) -> list[str]:
    """Markdown: accuracy per level for each size (stage 1), and after stage 2 where it ran."""
    levels = ["1", "2", "3", "4", "5"]
    rows = ["| model | " + " | ".join(f"level {lv}" for lv in levels) + " | all |"]
    rows.append("|" + "---|" * (len(levels) + 2))
    for size, reports in points.items():
        for stage in sorted(reports):
            label = f"{size:,} samples" + (", after stage 2" if stage == 2 else "")
            cells = [pct(*cell_of(reports[stage], BENCHMARK, grader, [lv])) for lv in levels]
            total = pct(*cell_of(reports[stage], BENCHMARK, grader))
            rows.append(f"| {label} | " + " | ".join(cells) + f" | {total} |")
    return rows


def pipeline_points(run_dir: Path) -> dict[int, dict[int, dict[str, Any]]]:
    """size -> stage -> eval report from the pipeline's own steps (one size: all kept rows)."""
    from skyray.runs import read_manifest

    reports = {}
    for stage, name in ((1, "eval"), (2, "eval-stage2")):
        path = _step(run_dir, name) / "report.json"
        if path.is_file():
            reports[stage] = json.loads(path.read_text())
    if not reports:
        return {}
    rows = read_manifest(_step(run_dir, "sft")).get("rows", {})
    size = int(rows.get("kept", 0))  # rows stage-1 SFT trained on
    return {size: reports}


def selfcompare_cells(run_dir: Path, grader: str, points=None):
    """(before, after) cells: the model self-compare started from (the pipeline's stage 2,
    else stage 1, else the sweep's largest size after stage 2) and its final model, or None
    when the steps did not run."""
    after = _step(run_dir, "eval-selfcompare") / "report.json"
    before = [_step(run_dir, n) / "report.json" for n in ("eval-stage2", "eval")]
    before = [p for p in before if p.is_file()]
    if after.is_file() and not before and points:
        reports = points[max(points)]
        start = reports[max(reports)]
        return cell_of(start, BENCHMARK, grader), cell_of(
            json.loads(after.read_text()), BENCHMARK, grader
        )
    if not after.is_file() or not before:
        return None
    return tuple(cell_of(json.loads(p.read_text()), BENCHMARK, grader) for p in (before[0], after))


def build_claims(run_dir: Path, sweep_dir: Path | None, grader: str):
    from skyray.testing.miniworld.leaks import audit_leaks

    if sweep_dir is not None:
        from skyray.sweep.results import collect

        points = scaling_points(collect(sweep_dir), grader)
    else:
        points = pipeline_points(run_dir)
    sized = [(size, cell_of(r[1], BENCHMARK, grader)) for size, r in points.items() if 1 in r]
    claims: list[Claim] = [
        scaling_claim(sized)
        if len(sized) >= 2
        else Claim("More synthetic data, better accuracy", None, "The run trained one size.")
    ]
    staged = [size for size, r in points.items() if 2 in r and 1 in r]
    if staged:
        size = max(staged)
        hard = list(HARD_LEVELS)
        claims.append(
            stage2_claim(
                size,
                cell_of(points[size][1], BENCHMARK, grader, hard),
                cell_of(points[size][2], BENCHMARK, grader, hard),
            )
        )
    audit = audit_leaks(
        _step(run_dir, "synth") / "synthetic.parquet", _step(run_dir, "curate")
    ).as_dict()
    claims.append(leak_claim(audit))
    before_after = selfcompare_cells(run_dir, grader, points)
    claims.append(selfcompare_claim(*(before_after or (None, None))))
    return claims, points, audit


def _step(run_dir: Path, name: str) -> Path:
    from skyray.pipeline import step_path

    return step_path(run_dir, name)


def write_summary(
    run_dir: str | Path,
    sweep_dir: str | Path | None = None,
    grader: str = "strict",
    facts: list[str] | None = None,
) -> Path:
    """Write ``summary.md``/``summary.json`` into ``run_dir``; returns the Markdown path.
    Without ``sweep_dir`` the accuracies come from the run's sweep step, else from the
    pipeline's own eval steps."""
    run_dir = Path(run_dir)
    sweep_dir = Path(sweep_dir) if sweep_dir else None
    if sweep_dir is None and (_step(run_dir, "sweep") / "sweep.json").is_file():
        sweep_dir = _step(run_dir, "sweep")  # the pipeline's own sweep step
    claims, points, audit = build_claims(run_dir, sweep_dir, grader)
    facts = list(facts or []) + _pipeline_facts(run_dir, sweep_dir)
    text = render_summary(claims, facts)
    text += "\n## Accuracy per level (held-out split, grader `" + grader + "`)\n\n"
    text += "\n".join(level_table(points, grader)) + "\n"
    text += "\n## Planted leaks caught by decontamination\n\n"
    text += "\n".join(
        f"- sample `{sid}` = `{item}`"
        for sid, item in sorted(audit["leaks"].get("planted", {}).items())
    )
    text += "\n"
    (run_dir / SUMMARY_MD).write_text(text)
    data = {
        "claims": [c.__dict__ for c in claims],
        "accuracy": {
            str(size): {str(s): cell(*cell_of(rep, BENCHMARK, grader)) for s, rep in r.items()}
            for size, r in points.items()
        },
        "leaks": audit,
        "grader": grader,
    }
    (run_dir / SUMMARY_JSON).write_text(json.dumps(data, indent=1, default=str))
    return run_dir / SUMMARY_MD


def _pipeline_facts(run_dir: Path, sweep_dir: Path | None) -> list[str]:
    from skyray.runs import read_manifest

    facts = []
    synth = read_manifest(_step(run_dir, "synth"))
    curate = read_manifest(_step(run_dir, "curate"))
    drops = synth.get("drops", {})
    facts.append(
        f"Synthesis wrote {synth.get('rows', {}).get('samples')} samples; the teacher's noise "
        f"was dropped there: {_top(drops)}."
    )
    reasons = curate.get("reasons", {})
    facts.append(f"Curation kept {curate.get('rows', {})}; drops by reason: {_top(reasons)}.")
    if sweep_dir is not None:
        report = sweep_dir / "report"
        facts.append(f"Scaling report and plots: `{report}` (`report.md`, `*.png`).")
        checks = sweep_line_checks(sweep_dir)
        if checks:
            facts.append(
                "Does the student do the sums? Arithmetic lines (`a op b = c`) in its held-out "
                "responses: " + "; ".join(f"{label}: {c.describe()}" for label, c in checks) + "."
            )
    return facts


def sweep_line_checks(sweep_dir: Path) -> list:
    """(trial label, :class:`~skyray.testing.miniworld.lines.LineCheck`) for each finished
    evaluation of the sweep's first model, by size and stage."""
    from skyray.sweep.plan import EVAL2_STEP, EVAL_STEP
    from skyray.sweep.results import collect
    from skyray.testing.miniworld.lines import check_predictions

    out = []
    results = [r for r in collect(sweep_dir) if r.reports]
    first = results[0].params["model"] if results else None
    for r in sorted(results, key=lambda r: int(r.params["size"])):
        if r.params["model"] != first:
            continue
        for stage, step in ((1, EVAL_STEP), (2, EVAL2_STEP)):
            path = sweep_dir / "trials" / r.name / f"step-{step}-eval" / "predictions.jsonl"
            if stage in r.reports and path.is_file():
                label = f"{int(r.params['size']):,}" + (" + stage 2" if stage == 2 else "")
                out.append((label, check_predictions(path)))
    return out


def _top(counts: dict[str, int], k: int = 8) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:k]
    return ", ".join(f"{name} {n}" for name, n in items) or "none"
