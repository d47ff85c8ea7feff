"""What an evaluation runs on: benchmark names resolved to items.

A name is a registry benchmark (``gsm8k`` and ``math`` are aliases of ``gsm8k-test`` and
``math-test``), a path to any JSONL with ``problem`` (or ``question``) and ``answer`` (or a
``solution`` holding it), or ``gsm8k-distractors``: GSM8K test plus its k = 1..5 distractor
variants (see :mod:`skyray.eval.distractors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skyray.records import Problem

ALIASES = {"gsm8k": "gsm8k-test", "math": "math-test"}
DISTRACTOR_SET = "gsm8k-distractors"


@dataclass
class EvalItem:
    problem: Problem
    benchmark: str  # the name the report groups by
    num_distractors: int = 0


def canonical_name(name: str) -> str:
    name = name.strip()
    return ALIASES.get(name, name)


def is_jsonl_path(name: str) -> bool:
    return name.endswith(".jsonl") or "/" in name


def check_benchmark_name(name: str) -> None:
    """ValueError for a name that is neither registered, the distractor set, nor a JSONL path."""
    from skyray.data.benchmarks import get_benchmark

    name = canonical_name(name)
    if name == DISTRACTOR_SET or is_jsonl_path(name):
        return
    try:
        get_benchmark(name)
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]} (aliases: gsm8k, math; or a .jsonl path)") from None


def load_jsonl_problems(path: str | Path) -> list[Problem]:
    """Any JSONL with problem/question and answer (or solution); errors name file and line."""
    from skyray.jsonl import iter_jsonl
    from skyray.math.grade import gold_from_solution

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"benchmark file not found: {path}")
    problems = []
    for where, obj in iter_jsonl(path):
        text = obj.get("problem") or obj.get("question")
        if not text:
            raise ValueError(f"{where}: missing field 'problem' (or 'question')")
        answer = obj.get("answer")
        if answer in (None, "") and obj.get("solution"):
            answer = gold_from_solution(str(obj["solution"]))
        if answer in (None, ""):
            raise ValueError(f"{where}: missing field 'answer' (or a 'solution' holding it)")
        level = obj.get("level")
        if isinstance(level, str):
            level = level.removeprefix("Level ").strip()
            level = int(level) if level.isdigit() else None
        problems.append(
            Problem(
                id=str(
                    obj.get("id")
                    or obj.get("unique_id")
                    or f"{path.stem}:{where.rsplit(':', 1)[1]}"
                ),
                problem=str(text),
                answer=str(answer),
                solution=str(obj.get("solution") or ""),
                level=level if isinstance(level, int) else None,
                subject=str(obj.get("subject") or obj.get("type") or ""),
                source=path.stem,
            )
        )
    return problems


def load_items(
    names: list[str], data_dir: str | None = None, limit: int | None = None, distractors=None
) -> list[EvalItem]:
    """Items of every named benchmark (first ``limit`` problems of each; None = all)."""
    from skyray.data.benchmarks import load_benchmark
    from skyray.eval.distractors import DistractorConfig, build_distractor_set

    items: list[EvalItem] = []
    for raw in names:
        name = canonical_name(raw)
        if name == DISTRACTOR_SET:
            dcfg = distractors or DistractorConfig()
            source = load_benchmark(dcfg.source, data_dir or None)
            if limit is not None:
                source = source[:limit]
            variants, _ = build_distractor_set(source, dcfg)
            items += [EvalItem(v.problem, name, v.num_distractors) for v in variants]
            continue
        if is_jsonl_path(name):
            problems = load_jsonl_problems(name)
            bench = Path(name).stem
        else:
            problems = load_benchmark(name, data_dir or None)
            bench = name
        if limit is not None:
            problems = problems[:limit]
        items += [EvalItem(p, bench) for p in problems]
    return items
