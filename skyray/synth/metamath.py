"""MetaMath augmentation (Yu et al. 2024): answer augmentation, rephrasing, FOBAR and
self-verification. Every MetaMath question keeps a known gold answer (the seed's, or the masked
number for the backward questions), so each response is checked with the shared grader.

FOBAR appends a fixed sentence to the masked question. Self-verification is a teacher rewrite
(prompt ``sv_rewrite``): the masked question and its answer become a declarative statement, which
must keep the unknown ``X`` (else ``metamath.sv:lost-unknown``), and the unknown is asked for.
"""

from __future__ import annotations

import re

from skyray.synth.backward import make_backward, mask_number, sv_question
from skyray.synth.context import OpContext, Task, TaskResult, request_seed, versions


async def run_metamath(task: Task, ctx: OpContext) -> TaskResult:
    (method,) = task.ops
    result = TaskResult(task.index)
    seed = task.seed
    operator = f"metamath.{method}"
    if not seed.answer:
        result.drops[f"{operator}:seed-without-answer"] += 1
        return result
    if method == "answer_aug":
        tv = versions("solve")
        await ctx.solve(
            task, result, seed.problem, operator, tv, parent_id=task.parent_id, gold=seed.answer
        )
    elif method == "rephrase":
        tv = versions("rephrase", "solve")
        key = ctx.lineage_id(task, operator, 0, task.parent_id, tv)
        question, out = await ctx.rewrite("rephrase", key, result, operator, question=seed.problem)
        if question is not None:
            await ctx.solve(
                task,
                result,
                question,
                operator,
                tv,
                parent_id=task.parent_id,
                gold=seed.answer,
                tokens=(out.prompt_tokens, out.completion_tokens),
            )
    elif method == "sv":
        await _self_verification(task, ctx, result, operator)
    elif method == "fobar":
        tv = versions("solve")
        choice = request_seed(f"{seed.id}:{task.sample_index}:{method}")
        backward = make_backward(seed.problem, seed.answer, method, choice)
        if backward is None:
            result.drops[f"{operator}:no-number-to-mask"] += 1
            return result
        await ctx.solve(
            task,
            result,
            backward.question,
            operator,
            tv,
            parent_id=task.parent_id,
            gold=backward.value,
        )
    else:
        raise ValueError(f"unknown MetaMath method {method!r}")
    return result


async def _self_verification(task: Task, ctx: OpContext, result: TaskResult, operator: str) -> None:
    seed = task.seed
    masked = mask_number(seed.problem.strip(), request_seed(f"{seed.id}:{task.sample_index}:sv"))
    if masked is None:
        result.drops[f"{operator}:no-number-to-mask"] += 1
        return
    question, value = masked
    tv = versions("sv_rewrite", "solve")
    key = ctx.lineage_id(task, operator, 0, task.parent_id, tv)
    statement, out = await ctx.rewrite(
        "sv_rewrite", key, result, operator, question=question, answer=seed.answer
    )
    if statement is None:
        return
    if not re.search(r"(?<![\\\w])X(?!\w)", statement):
        result.drops[f"{operator}:lost-unknown"] += 1
        return
    await ctx.solve(
        task,
        result,
        sv_question(statement),
        operator,
        tv,
        parent_id=task.parent_id,
        gold=value,
        tokens=(out.prompt_tokens, out.completion_tokens),
    )
