"""The self-compare report: per round, problems answered right / wrong / without an answer,
samples requested and written, drops by reason, teacher tokens and cost, and the SFT step."""

from __future__ import annotations

from collections import Counter
from typing import Any

from skyray.selfcompare.answers import STATUSES


def build_report(cfg, rounds: list[dict[str, Any]], final_model: str) -> dict[str, Any]:
    drops: Counter[str] = Counter()
    for r in rounds:
        drops.update(r["drops"])
    totals = {
        "problems": sum(r["problems"] for r in rounds),
        **{s: sum(r.get(s, 0) for r in rounds) for s in STATUSES},
        "samples": sum(r["samples"] for r in rounds),
        "drops": dict(drops),
        "teacher_tokens": {
            k: sum(r["teacher_tokens"][k] for r in rounds) for k in ("prompt", "completion")
        },
        "cost_usd": round(sum(r["cost_usd"] for r in rounds), 6),
    }
    return {
        "model": cfg.model,
        "final_model": final_model,
        "grader": cfg.grader,
        "teacher": {"backend": cfg.teacher_backend, "model": cfg.teacher.model},
        "num_rounds": cfg.num_rounds,
        "split": cfg.split,
        "rounds": rounds,
        "totals": totals,
    }


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def render_markdown(report: dict[str, Any]) -> str:
    out = [f"# Self-compare report: {report['model']}", ""]
    out += [
        f"- grader: {report['grader']}; teacher: {report['teacher']['model']} "
        f"({report['teacher']['backend']}); rounds: {report['num_rounds']} ({report['split']})",
        f"- final model: {report['final_model']}",
        "",
        "## Per round",
        "",
    ]
    rows = []
    for r in [*report["rounds"], {"round": "total", **report["totals"]}]:
        tokens = r["teacher_tokens"]
        rows.append(
            [str(r["round"]), str(r.get("model", ""))]
            + [str(r.get(s, 0)) for s in ("problems", *STATUSES, "samples")]
            + [
                ", ".join(f"{k}: {v}" for k, v in sorted(r["drops"].items())) or "-",
                f"{tokens['prompt']} / {tokens['completion']}",
                f"{r['cost_usd']:.4f}",
            ]
        )
    header = ["round", "answered by", "problems", *STATUSES, "samples", "drops"]
    out += _table(header + ["teacher tokens (prompt / completion)", "cost $"], rows)
    trained = [r for r in report["rounds"] if r.get("sft")]
    if trained:
        out += ["## SFT per round", ""]
        out += _table(
            ["round", "step", "rows", "final metrics"],
            [
                [
                    str(r["round"]),
                    r["sft"]["path"],
                    str(r["sft"]["rows"]),
                    str(r["sft"]["final_metrics"]),
                ]
                for r in trained
            ],
        )
    return "\n".join(out).rstrip() + "\n"
