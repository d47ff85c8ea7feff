"""The evaluation report: JSON data and Markdown tables in the layout of the paper's tables.

Input rows are scored predictions carrying both graders' verdicts (``correct_strict``,
``extracted_strict``, ``correct_equiv``, ``extracted_equiv``), plus ``benchmark``, ``id``,
``sample_index``, ``level``, ``subject``, ``num_distractors`` and ``error``. Top-1 accuracy uses
sample 0 of each problem; rows whose generation failed count as wrong and are listed as errors.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from skyray.eval.php_report import php_markdown, php_summary
from skyray.eval.sampling import sampled_metrics
from skyray.eval.score import summarize, wilson_interval

# Table 12's column order and names, keyed by MATH's own subject names
MATH_SUBJECTS = {
    "Algebra": "Algebra",
    "Counting & Probability": "Counting&Probability",
    "Geometry": "Geometry",
    "Intermediate Algebra": "Intermediate Algebra",
    "Number Theory": "Number Theory",
    "Prealgebra": "Prealgebra",
    "Precalculus": "Precalculus",
}
PAPER_LEVELS = ("1", "2", "3", "4", "5")
MAX_LISTED_DISAGREEMENTS = 50  # in the Markdown; the JSON lists them all


def cell(correct: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(correct, n)
    return {"accuracy": correct / n if n else 0.0, "n": n, "correct": correct, "ci95": [low, high]}


def _view(rows: list[dict[str, Any]], grader: str) -> list[dict[str, Any]]:
    return [
        {
            "correct": bool(r[f"correct_{grader}"]),
            "extracted": r[f"extracted_{grader}"],
            "level": r.get("level"),
            "subject": r.get("subject") or "",
        }
        for r in rows
    ]


def benchmark_report(
    rows: list[dict[str, Any]], graders: list[str], timeout_s: float = 2.0
) -> dict[str, Any]:
    """Everything the report says about one benchmark."""
    top1 = [r for r in rows if int(r.get("sample_index") or 0) == 0]
    errors = [r for r in top1 if r.get("error")]
    report: dict[str, Any] = {
        "num_problems": len(top1),
        "num_rows": len(rows),
        "errors": {
            "count": len(errors),
            "by_reason": dict(Counter(str(r["error"]).split(":", 1)[0] for r in errors)),
        },
        "graders": {g: summarize(_view(top1, g)) for g in graders},
    }
    if any(int(r.get("num_distractors") or 0) for r in top1):
        by_k: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in top1:
            by_k[int(r.get("num_distractors") or 0)].append(r)
        report["distractors"] = {
            g: {
                str(k): cell(sum(bool(r[f"correct_{g}"]) for r in ks), len(ks))
                for k, ks in sorted(by_k.items())
            }
            for g in graders
        }
    if len({r["id"] for r in top1}) < len(rows):
        report["sampling"] = {g: sampled_metrics(rows, g, timeout_s) for g in graders}
    hinted = [r for r in top1 if r.get("correct_first") is not None]
    if hinted:
        report["hints"] = {
            "rounds": dict(sorted(Counter(str(r["hint_rounds"]) for r in hinted).items())),
            "grader": graders[0],
            "before_hints": cell(sum(bool(r["correct_first"]) for r in hinted), len(hinted)),
            "after_hints": cell(sum(bool(r[f"correct_{graders[0]}"]) for r in hinted), len(hinted)),
            **php_summary(hinted),
        }
    if set(graders) >= {"strict", "equiv"}:
        report["disagreements"] = [
            {
                "id": r["id"],
                "gold": r["gold"],
                "extracted_strict": r["extracted_strict"],
                "correct_strict": bool(r["correct_strict"]),
                "extracted_equiv": r["extracted_equiv"],
                "correct_equiv": bool(r["correct_equiv"]),
            }
            for r in top1
            if bool(r["correct_strict"]) != bool(r["correct_equiv"])
        ]
    return report


def build_report(
    rows: Iterable[dict[str, Any]], graders: list[str], meta: dict[str, Any], timeout_s: float = 2.0
) -> dict[str, Any]:
    """The whole report: ``meta`` (model, backend, ...) plus one entry per benchmark."""
    by_bench: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_bench[row["benchmark"]].append(row)
    return {
        **meta,
        "graders": graders,
        "benchmarks": {
            name: benchmark_report(bench_rows, graders, timeout_s)
            for name, bench_rows in by_bench.items()
        },
    }


def pct(c: dict[str, Any] | None, ci: bool = True) -> str:
    """An accuracy cell as a percentage with its 95% interval ("-" for no data)."""
    if not c or not c["n"]:
        return "-"
    text = f"{100 * c['accuracy']:.2f}"
    if ci:
        low, high = c["ci95"]
        text += f" [{100 * low:.1f}, {100 * high:.1f}]"
    return text


def md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table's lines, then a blank line."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out + [""]


def render_markdown(report: dict[str, Any]) -> str:
    """Markdown: accuracy per benchmark, then the paper-layout tables where they apply."""
    model = str(report.get("model") or "model")
    graders = report["graders"]
    benches = report["benchmarks"]
    out = [f"# Evaluation report: {model}", ""]
    out += [f"- {k}: {report[k]}" for k in ("backend", "prompt", "sampling") if k in report]
    out += [
        "- accuracy in %, 95% Wilson intervals in brackets; failed generations count as wrong",
        "",
    ]

    out += ["## Accuracy per benchmark", ""]
    header = ["Benchmark", "N"] + [f"{g} (%)" for g in graders] + ["errors", "no answer"]
    rows = []
    for name, b in benches.items():
        first = b["graders"][graders[0]]
        rows.append(
            [name, str(b["num_problems"])]
            + [pct(b["graders"][g]) for g in graders]
            + [str(b["errors"]["count"]), str(first["no_answer"])]
        )
    out += md_table(header, rows)

    for name, b in benches.items():
        first = b["graders"][graders[0]]
        if first["by_level"]:
            levels = sorted(first["by_level"], key=lambda k: (not k.isdigit(), k.zfill(3)))
            if set(levels) <= set(PAPER_LEVELS):  # the paper's five columns, always
                levels = list(PAPER_LEVELS)
            out += [f"## {name}: accuracy per difficulty level (layout of Tables 2 and 11)", ""]
            out += md_table(
                ["Model", "Grader"] + [f"Level-{lv}" for lv in levels],
                [
                    [model, g]
                    + [pct(b["graders"][g]["by_level"].get(lv, cell(0, 0))) for lv in levels]
                    for g in graders
                ],
            )
        if first["by_subject"]:
            subjects = list(first["by_subject"])
            if set(subjects) <= set(MATH_SUBJECTS):  # Table 12's seven columns, always
                subjects = list(MATH_SUBJECTS)
            label = " (layout of Table 12)" if set(subjects) <= set(MATH_SUBJECTS) else ""
            out += [f"## {name}: accuracy per subject{label}", ""]
            out += md_table(
                ["Model", "Grader"] + [MATH_SUBJECTS.get(s, s) for s in subjects],
                [
                    [model, g]
                    + [pct(b["graders"][g]["by_subject"].get(s, cell(0, 0))) for s in subjects]
                    for g in graders
                ],
            )
        if "distractors" in b:
            ks = list(b["distractors"][graders[0]])
            out += [
                f"## {name}: accuracy against the number of distractors (layout of Table 7)",
                "",
            ]
            out += md_table(
                ["Model", "Grader"] + ["original" if k == "0" else k for k in ks],
                [[model, g] + [pct(b["distractors"][g][k]) for k in ks] for g in graders],
            )
        if "hints" in b:
            h = b["hints"]
            out += [f"## {name}: progressive-hint prompting ({h['grader']} grader)", ""]
            out += md_table(
                ["Model", "before hints", "after hints", "hint rounds: problems"],
                [
                    [
                        model,
                        pct(h["before_hints"]),
                        pct(h["after_hints"]),
                        ", ".join(f"{k}: {v}" for k, v in h["rounds"].items()),
                    ]
                ],
            )
            out += php_markdown(h)
        if "sampling" in b:
            out += [f"## {name}: sampled metrics", ""]
            metrics = [
                m
                for m in b["sampling"][graders[0]]
                if m not in ("k", "n", "ci95") and not m.endswith("_ci95")
            ]
            out += md_table(
                ["Grader", "problems"] + metrics,
                [
                    [g, str(b["sampling"][g]["n"])]
                    + [f"{100 * b['sampling'][g][m]:.2f}" for m in metrics]
                    for g in graders
                ],
            )
    out += _disagreements(benches)
    out += _errors_and_extras(report)
    return "\n".join(out).rstrip() + "\n"


def _disagreements(benches: dict[str, Any]) -> list[str]:
    listed = [(name, d) for name, b in benches.items() for d in b.get("disagreements", [])]
    if not any("disagreements" in b for b in benches.values()):
        return []
    out = ["## strict vs equiv: rows where the graders disagree", ""]
    counts = ", ".join(f"{n}: {len(b.get('disagreements', []))}" for n, b in benches.items())
    out += [f"Disagreements per benchmark: {counts}.", ""]
    if listed:
        out += md_table(
            ["Benchmark", "id", "gold", "strict extracted", "strict", "equiv extracted", "equiv"],
            [
                [
                    name,
                    str(d["id"]),
                    _code(d["gold"]),
                    _code(d["extracted_strict"]),
                    "yes" if d["correct_strict"] else "no",
                    _code(d["extracted_equiv"]),
                    "yes" if d["correct_equiv"] else "no",
                ]
                for name, d in listed[:MAX_LISTED_DISAGREEMENTS]
            ],
        )
        if len(listed) > MAX_LISTED_DISAGREEMENTS:
            out += [f"({len(listed) - MAX_LISTED_DISAGREEMENTS} more in report.json)", ""]
    return out


def _errors_and_extras(report: dict[str, Any]) -> list[str]:
    out = []
    errs = {n: b["errors"] for n, b in report["benchmarks"].items() if b["errors"]["count"]}
    if errs:
        out += ["## Generation errors (kept as rows, counted wrong)", ""]
        out += [f"- {n}: {e['count']} ({e['by_reason']})" for n, e in errs.items()] + [""]
    if report.get("contamination"):
        out += ["## Contamination guard", ""]
        out += [f"- {line}" for line in report["contamination"].get("summary", [])] + [""]
    if report.get("throughput"):
        t = report["throughput"]
        out += ["## Generation throughput", ""]
        out += [
            f"- {t['rows']} rows in {t['seconds']} s: {t['output_tokens_per_s']} output tokens/s, "
            f"{t['rows_per_s']} rows/s",
            "",
        ]
    return out


def _code(value: Any) -> str:
    if value is None:
        return "(none)"
    return "`" + str(value).replace("|", "\\|").replace("`", "'") + "`"
