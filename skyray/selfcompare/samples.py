"""Self-compare samples: the record, which answers get one, and the teacher round trip.

A wrong answer (and, with ``include_no_answer``, an answer without a final answer) gets a
self-compare sample; a right one gets a confirmation sample for a deterministic
``confirm_ratio`` share of problems. The teacher's reply is kept only when it ends with a
canonical ``The answer is X`` line whose answer the shared grader accepts against the gold;
every other reply is a drop counted by reason (``answer-mismatch``, ``parse:no-answer-line``,
``selfcompare:truncated``, ``teacher-error:...``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from skyray.records import SyntheticSample
from skyray.selfcompare.prompts import (
    RIGHT_TEMPLATE,
    WRONG_TEMPLATE,
    teacher_fields,
    training_question,
)

OPERATORS = {WRONG_TEMPLATE: "selfcompare", RIGHT_TEMPLATE: "selfcompare.confirm"}
CHUNK = 1024  # teacher requests per wave (the teacher's own semaphore bounds concurrency)
logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class SelfCompareSample(SyntheticSample):
    """A :class:`SyntheticSample` (so curation and SFT read it unchanged) plus where it came
    from: the answering model, its previous answer and the round. ``parent_id`` is the id of the
    graded answer row in the round's ``answers.parquet``; ``step`` is the round too."""

    answer_model: str = ""  # the model whose previous answer the sample compares with the truth
    previous_answer: str | None = None  # the answer extracted from it (None: none found)
    previous_response: str = ""  # the model's whole previous response
    verdict: str = ""  # the previous answer's grade: "wrong", "no-answer" or "right"
    round: int = 0  # self-compare round (1-based)


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / float(16**13)


def template_for(answer: dict[str, Any], cfg) -> str | None:
    """Which teacher prompt a graded answer gets, or None (no sample)."""
    status = answer["status"]
    if status == "wrong" or (status == "no-answer" and cfg.include_no_answer):
        return WRONG_TEMPLATE
    if status == "right" and _unit(cfg.seed, "confirm", answer["problem_id"]) < cfg.confirm_ratio:
        return RIGHT_TEMPLATE
    return None


def lineage(answer: dict[str, Any], template: str, ctx) -> dict[str, Any]:
    from skyray.synth.context import versions

    return {
        "seed_id": answer["seed_id"],
        "parent_id": answer["id"],
        "operator": OPERATORS[template],
        "step": int(answer["round"]),
        "teacher": ctx.teacher.model,
        "template_version": versions(template),
        "sampling": ctx.sampling_json,
        "stage": int(answer.get("stage") or 1),
        "sample_index": 0,
    }


def build_sample(answer: dict[str, Any], template: str, out, ctx, cfg):
    """(sample, "") from one teacher reply, or (None, drop reason)."""
    from skyray.synth.context import answers_match, finish_response

    if not out.ok:
        return None, f"teacher-error:{out.error}"
    if out.finish_reason == "length":
        return None, "selfcompare:truncated"
    response, final, reason = finish_response(out.text)
    if response is None:
        return None, reason
    if not answers_match(response, str(answer["gold"])):
        return None, "answer-mismatch"
    question = training_question(
        answer["problem"], answer.get("extracted"), cfg.hint_template, cfg.no_answer_hint
    )
    sample = SelfCompareSample(
        question=question,
        response=response,
        answer=final,
        gold=str(answer["gold"]),
        subject=answer.get("subject") or "",
        level=answer.get("level"),
        prompt_tokens=out.prompt_tokens,
        completion_tokens=out.completion_tokens,
        answer_model=str(answer["model"]),
        previous_answer=answer.get("extracted"),
        previous_response=str(answer.get("response") or ""),
        verdict=str(answer["status"]),
        round=int(answer["round"]),
        **lineage(answer, template, ctx),
    )
    return sample, ""


async def _ask_all(ctx, jobs: list[tuple[str, str, dict[str, str]]]):
    try:
        return await asyncio.gather(*(ctx.ask(t, key, **fields) for t, key, fields in jobs))
    finally:
        await ctx.teacher.aclose()


def compare_round(
    answers: list[dict[str, Any]], cfg, ctx
) -> tuple[list[SelfCompareSample], Counter[str], Counter[str]]:
    """Samples for one round's graded answers: (samples in answer order, drops by reason,
    requests by operator)."""
    from skyray.llm.aio import run_sync

    picked = [(a, t) for a in answers if (t := template_for(a, cfg)) is not None]
    jobs = [
        (t, SyntheticSample.lineage_id(**lineage(a, t, ctx)), teacher_fields(a)) for a, t in picked
    ]
    outs = []
    for start in range(0, len(jobs), CHUNK):  # bounded memory, one progress line per chunk
        outs.extend(run_sync(_ask_all(ctx, jobs[start : start + CHUNK])))
        logger.info("selfcompare: teacher answered %d/%d requests", len(outs), len(jobs))
    samples, drops = [], Counter()
    requested = Counter(OPERATORS[t] for _, t in picked)
    for (answer, template), out in zip(picked, outs, strict=True):
        sample, reason = build_sample(answer, template, out, ctx, cfg)
        if sample is None:
            drops[reason] += 1
        else:
            samples.append(sample)
    return samples, drops, requested


def write_samples(samples: list[SyntheticSample], path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_parquet_atomic

    table = pa.Table.from_pylist(
        [s.to_row() for s in samples], schema=SelfCompareSample.arrow_schema()
    )
    write_parquet_atomic(path, table)


def read_samples(path) -> list[SelfCompareSample]:
    import pyarrow.parquet as pq

    return [SelfCompareSample.from_row(r) for r in pq.read_table(path).to_pylist()]
