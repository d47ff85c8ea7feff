"""The scaling report, written into ``<sweep>/report/`` from the sweep folder alone.

``report.md`` (tables, fits, one sentence per curve on monotonicity, the plots), ``report.json``
(the same data), CSV tables (``trials.csv`` one row per trial x stage x benchmark x grader;
``scaling.csv`` the curves; ``levels.csv``, ``subjects.csv``; ``fits.csv``) and the PNG plots.
Accuracies are in %, with 95% Wilson intervals; trials that differ only in seed are pooled.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from skyray.eval.report import md_table, pct
from skyray.sweep.fit import fit_curves, trend_sentence
from skyray.sweep.plan import STAGE2_SUBSET, SUBSETS_DIR
from skyray.sweep.results import (
    TrialResult,
    benchmarks,
    collect,
    curves,
    grader_cell,
    keys_of,
    load_plan,
    series_label,
    varying_params,
)

REPORT_DIR = "report"
LEVEL_PREFIX = "Level-"


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    fields: dict[str, None] = {}
    for row in rows:
        fields.update(dict.fromkeys(row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


def _csv_cell(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "accuracy": c["accuracy"],
        "correct": c["correct"],
        "n": c["n"],
        "ci_low": c["ci95"][0],
        "ci_high": c["ci95"][1],
    }


def trial_rows(results: list[TrialResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        base = {"trial": r.name, **r.params, "status": r.status, "error": r.error}
        if not r.reports:
            rows.append(base)
        for stage, report in sorted(r.reports.items()):
            for bench, b in report["benchmarks"].items():
                for grader, c in b["graders"].items():
                    extra = {"stage": stage, "benchmark": bench, "grader": grader}
                    rows.append({**base, **extra, **_csv_cell(c)})
    return rows


def stage_curves(results: list[TrialResult], grader: str, group: str = "", key: str = ""):
    """(series, stage, benchmark) -> size -> pooled cell, for stage 1 and stage 2."""
    out = {}
    for stage in (1, 2):
        for (series, bench), by_size in curves(results, grader, stage, group, key).items():
            out[(series, stage, bench)] = by_size
    return out


def _stage_label(stage: int, stage2_rows: int) -> str:
    if stage == 1:
        return ""
    return f" + stage 2 ({stage2_rows:,} rows)" if stage2_rows else " + stage 2"


def size_tables(results, grader, stage2_rows) -> tuple[list[str], list[dict[str, Any]]]:
    md: list[str] = []
    rows: list[dict[str, Any]] = []
    data = stage_curves(results, grader)
    for bench in benchmarks(results):
        cols = sorted({(s, st) for (s, st, b) in data if b == bench}, key=lambda k: (k[0], k[1]))
        sizes = sorted({n for (s, st, b), v in data.items() if b == bench for n in v})
        md += [f"## {bench}: accuracy (%) by data size ({grader} grader; Figure 5)", ""]
        header = ["Data size"] + [f"{s}{_stage_label(st, stage2_rows)}" for s, st in cols]
        md += md_table(
            header,
            [[f"{n:,}"] + [pct(data[(s, st, bench)].get(n)) for s, st in cols] for n in sizes],
        )
        for (s, st, b), by_size in data.items():
            if b == bench:
                for n, c in by_size.items():
                    rows.append(
                        {"series": s, "stage": st, "benchmark": b, "size": n, **_csv_cell(c)}
                    )
    return md, rows


def group_tables(results, grader, group, stage2_rows) -> tuple[list[str], list[dict[str, Any]]]:
    """Per MATH level (Table 2 layout) or per subject (Table 12 layout)."""
    title = "difficulty level (layout of Table 2)" if group == "by_level" else "subject (Table 12)"
    md: list[str] = []
    rows: list[dict[str, Any]] = []
    for bench in benchmarks(results):
        keys = keys_of(results, bench, grader, group)
        if not keys:
            continue
        per_key = {k: stage_curves(results, grader, group, k) for k in keys}
        lines = sorted(
            {
                (s, st, n)
                for d in per_key.values()
                for (s, st, b), v in d.items()
                if b == bench
                for n in v
            }
        )
        labels = [f"{LEVEL_PREFIX}{k}" if group == "by_level" else k for k in keys]
        md += [f"## {bench}: accuracy (%) per {title}", ""]
        table = []
        for s, st, n in lines:
            cells = [per_key[k].get((s, st, bench), {}).get(n) for k in keys]
            table.append([s, f"{n:,}{_stage_label(st, stage2_rows)}"] + [pct(c) for c in cells])
            for k, c in zip(keys, cells, strict=True):
                if c:
                    name = "level" if group == "by_level" else "subject"
                    rows.append(
                        {
                            "series": s,
                            "stage": st,
                            "benchmark": bench,
                            "size": n,
                            name: k,
                            **_csv_cell(c),
                        }
                    )
        md += md_table(["Base model", "Data size"] + labels, table)
    return md, rows


def verifier_table(results: list[TrialResult], grader: str, plans) -> list[str]:
    """Verifier-selected vs random subsets of the same size (layout of Table 4)."""
    selections = {r.params.get("selection") for r in results}
    if not {"random", "verifier"} <= selections:
        return []
    varying = varying_params(plans)
    cells: dict[tuple[str, int, str, str], list] = {}
    for r in results:
        if 1 not in r.reports:
            continue
        key = series_label(r.params, varying, drop=("selection",))
        for bench in r.reports[1]["benchmarks"]:
            c = grader_cell(r.reports[1], bench, grader)
            cells.setdefault((key, int(r.params["size"]), bench, r.params["selection"]), []).append(
                c
            )
    from skyray.sweep.results import pooled

    benches = benchmarks(results)
    lines = sorted({(k, n) for k, n, _, _ in cells})
    header = ["Base model", "Data size"]
    for b in benches:
        header += [f"{b} random", f"{b} verifier", f"{b} diff (pts)"]
    table = []
    for k, n in lines:
        row = [k, f"{n:,}"]
        for b in benches:
            rnd, ver = (cells.get((k, n, b, s)) for s in ("random", "verifier"))
            rc, vc = (pooled(x) if x else None for x in (rnd, ver))
            diff = f"{100 * (vc['accuracy'] - rc['accuracy']):+.2f}" if rc and vc else "-"
            row += [pct(rc), pct(vc), diff]
        table.append(row)
    title = f"## Verifier-selected vs random subsets ({grader} grader; layout of Table 4)"
    return [title, ""] + md_table(header, table)


def fits_and_trends(results, grader, targets, default_target):
    """Fits per (series, benchmark) of stage-1 curves, and the monotonicity sentences."""
    fits, sentences = [], []
    for (series, bench), by_size in curves(results, grader, 1).items():
        sizes = list(by_size)
        accs = [by_size[n]["accuracy"] for n in sizes]
        target = targets.get(bench, default_target)
        for f in fit_curves([float(n) for n in sizes], accs, target):
            fits.append({"series": series, "benchmark": bench, **f.as_dict()})
        sentences.append(trend_sentence(series, bench, list(zip(sizes, accs, strict=True))))
    return fits, sentences


def fit_table(fits: list[dict[str, Any]]) -> list[str]:
    def num(x):
        return "-" if x is None else f"{x:.4g}"

    rows = [
        [
            f["series"],
            f["benchmark"],
            f["form"],
            ", ".join(f"{k}={v:.4g}" for k, v in f["params"].items()),
            num(f["r2"]),
            num(f["rmse"]),
            f"{100 * f['target']:.1f}%",
            f"{f['size_at_target']:,.0f}" if f["size_at_target"] else f"never ({f['note']})",
        ]
        for f in fits
    ]
    header = [
        "Series",
        "Benchmark",
        "Form",
        "Parameters",
        "R^2",
        "RMSE",
        "Target",
        "Size at target",
    ]
    note = (
        "log-linear: acc = a + b log10(N); power-law: acc = c - a N^-alpha (scipy curve_fit). "
        "Sizes at target are extrapolations, as good as the fit's R^2 and its range of N."
    )
    return ["## Fitted scaling curves", "", note, ""] + md_table(header, rows)


def build_report(sweep_dir: Path) -> dict[str, Any]:
    plan = load_plan(sweep_dir)
    cfg = plan["config"]
    grader = cfg["report"]["grader"] or cfg["eval"]["graders"][0]
    results = collect(sweep_dir)
    stage2_manifest = Path(sweep_dir) / SUBSETS_DIR / STAGE2_SUBSET / "manifest.json"
    stage2_rows = (
        json.loads(stage2_manifest.read_text())["rows"]["kept"] if stage2_manifest.is_file() else 0
    )
    fits, sentences = fits_and_trends(
        results, grader, cfg["report"]["targets"], cfg["report"]["target_accuracy"]
    )
    return {
        "sweep_dir": str(sweep_dir),
        "config": cfg,
        "grader": grader,
        "stage2_rows": stage2_rows,
        "results": results,
        "fits": fits,
        "trends": sentences,
        "plans": plan["trials"],
    }


def render(data: dict[str, Any], plots: list[str]) -> tuple[str, dict[str, list[dict]]]:
    results: list[TrialResult] = data["results"]
    grader, stage2_rows, cfg = data["grader"], data["stage2_rows"], data["config"]
    counts = {
        s: sum(r.status == s for r in results) for s in ("done", "failed", "running", "pending")
    }
    md = [f"# Scaling report: {Path(data['sweep_dir']).name}", ""]
    md += [
        f"- data: {cfg['data']}; sizes {cfg['sizes']}; models {[m['name'] for m in cfg['models']]}; "
        f"selections {cfg['selections']}; seeds {cfg['seeds']}; axes {cfg['sft_axes'] or 'none'}",
        f"- trials: {len(results)} planned; " + ", ".join(f"{v} {k}" for k, v in counts.items()),
        f"- accuracy in % with 95% Wilson intervals in brackets, {grader} grader; trials that "
        "differ only in seed are pooled",
        "",
    ]
    benches = benchmarks(results)
    header = (
        ["Trial", "Status"]
        + benches
        + [f"stage 2: {b}" for b in benches if any(2 in r.reports for r in results)]
    )
    rows = []
    for r in results:
        row = [r.name, r.status] + [
            pct(grader_cell(r.reports[1], b, grader) if 1 in r.reports else None) for b in benches
        ]
        if len(header) > 2 + len(benches):
            row += [
                pct(grader_cell(r.reports[2], b, grader)) if 2 in r.reports else "-"
                for b in benches
            ]
        rows.append(row)
    md += ["## Trials", ""] + md_table(header, rows)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        md += ["## Failed trials", ""] + [f"- {r.name}: {r.error}" for r in failed] + [""]
    size_md, scaling_rows = size_tables(results, grader, stage2_rows)
    level_md, level_rows = group_tables(results, grader, "by_level", stage2_rows)
    subject_md, subject_rows = group_tables(results, grader, "by_subject", stage2_rows)
    md += size_md + level_md + subject_md + verifier_table(results, grader, data["plans"])
    md += fit_table(data["fits"]) if data["fits"] else []
    md += ["## Does accuracy rise with data size?", ""] + [f"- {s}" for s in data["trends"]] + [""]
    if plots:
        md += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    tables = {
        "trials.csv": trial_rows(results),
        "scaling.csv": scaling_rows,
        "levels.csv": level_rows,
        "subjects.csv": subject_rows,
        "fits.csv": [{**f, "params": json.dumps(f["params"])} for f in data["fits"]],
    }
    return "\n".join(md), tables


def write_scaling_report(sweep_dir: str | Path) -> Path:
    """Build and write ``<sweep>/report/``; returns the path of ``report.md``."""
    from skyray.runs import REPORT_MD, write_report_files
    from skyray.sweep.plots import write_plots

    sweep_dir = Path(sweep_dir)
    data = build_report(sweep_dir)
    out = sweep_dir / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    plots = write_plots(data, out)
    text, tables = render(data, plots)
    for name, rows in tables.items():
        write_csv(out / name, rows)
    summary = {k: v for k, v in data.items() if k not in ("results", "plans")}
    summary["trials"] = [
        {"name": r.name, "params": r.params, "status": r.status, "error": r.error}
        for r in data["results"]
    ]
    summary["plots"] = plots
    write_report_files(out, summary, text + "\n")
    return out / REPORT_MD
