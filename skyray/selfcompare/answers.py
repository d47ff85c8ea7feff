"""The model answers every problem of a round (batched, through the evaluation backends) and
each answer is graded against the gold with the shared grader.

An answer row is ``right``, ``wrong`` (an answer was extracted and it differs from the gold),
``no-answer`` (nothing could be extracted) or ``error`` (the generation failed; kept, counted).
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from skyray.llm.generation import GenerationConfig, GenRequest, Throughput
from skyray.records import stable_id
from skyray.selfcompare.problems import TrainProblem

logger = logging.getLogger(__name__)
ANSWERS = "answers.parquet"
STATUSES = ("right", "wrong", "no-answer", "error")


def answer_id(problem_id: str, model: str, round_no: int, response: str) -> str:
    """Id of one graded answer: the parent of the samples written from it."""
    return stable_id(problem_id, model, round_no, response, prefix="ans-")


def classify(response: str, gold: str, error: str | None, grader: str, timeout_s: float):
    """(extracted answer, status) of one response."""
    from skyray.math.grade import grade

    if error is not None:
        return None, "error"
    verdict = grade(response, gold, grader, timeout_s)  # type: ignore[arg-type]
    if verdict.correct:
        return verdict.extracted, "right"
    return verdict.extracted, "wrong" if verdict.extracted is not None else "no-answer"


def answer_problems(
    problems: list[TrainProblem],
    gen_cfg: GenerationConfig,
    grader: str,
    timeout_s: float,
    round_no: int,
    address: str | None = None,
) -> tuple[list[dict[str, Any]], Throughput]:
    """Generate one greedy answer per problem with ``gen_cfg`` and grade it."""
    from skyray.llm.generation import generate_all, make_generator
    from skyray.prompt import render_prompt

    requests = [GenRequest(str(i), render_prompt(p.problem)) for i, p in enumerate(problems)]
    logger.info(
        "selfcompare round %d: %s answers %d problems", round_no, gen_cfg.model, len(requests)
    )
    gen = make_generator(gen_cfg, address)
    try:
        results, stats = generate_all(gen, requests)
    finally:
        gen.close()
    rows = []
    for problem, res in zip(problems, results, strict=True):
        extracted, status = classify(res.text, problem.gold, res.error, grader, timeout_s)
        rows.append(
            {
                "id": answer_id(problem.id, gen_cfg.model, round_no, res.text),
                "problem_id": problem.id,
                "seed_id": problem.seed_id,
                "problem": problem.problem,
                "gold": problem.gold,
                "reference": problem.reference,
                "subject": problem.subject,
                "level": problem.level,
                "stage": problem.stage,
                "round": round_no,
                "model": gen_cfg.model,
                "response": res.text,
                "extracted": extracted,
                "status": status,
                "error": res.error,
                "prompt_tokens": res.prompt_tokens,
                "completion_tokens": res.completion_tokens,
            }
        )
    return rows, stats


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(r["status"] for r in rows)
    return {"problems": len(rows), **{s: counts.get(s, 0) for s in STATUSES}}


def _schema():
    import pyarrow as pa

    text, num = pa.string(), pa.int64()
    names = {
        "id": text,
        "problem_id": text,
        "seed_id": text,
        "problem": text,
        "gold": text,
        "reference": text,
        "subject": text,
        "level": num,
        "stage": num,
        "round": num,
        "model": text,
        "response": text,
        "extracted": text,
        "status": text,
        "error": text,
        "prompt_tokens": num,
        "completion_tokens": num,
    }
    return pa.schema([pa.field(k, v) for k, v in names.items()])


def write_answers(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_parquet_atomic

    write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=_schema()))


def read_answers(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
