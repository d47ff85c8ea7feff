"""MetaMath augmentation (Yu et al. 2024): answer augmentation, rephrasing, FOBAR and
self-verification. Every MetaMath question keeps a known gold answer (the seed's, or the masked
number for the backward questions), so each response is checked with the shared grader.
"""

from __future__ import annotations

from skyray.synth.backward import make_backward
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
    elif method in ("fobar", "sv"):
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
