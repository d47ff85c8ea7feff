"""Evol-Instruct (Xu et al. 2023, WizardMath): evolve a problem through a chain of up to five
rewrites, each with one of five strategies, eliminating failed evolutions between steps.

Strategies (prompt templates ``evol_<name>``): ``rewrite`` (a new problem of similar length and
difficulty), ``constraints`` (add constraints), ``deepen`` (increase depth and breadth),
``concretize`` (concrete instead of general concepts), ``reasoning`` (request more reasoning steps).

Each surviving step yields a sample (its own solution request; the answer is new, so there is no
gold to check); ``parent_id`` links step k to step k-1. :func:`eliminate` is the check.
"""

from __future__ import annotations

import re

from skyray.synth.context import OpContext, Task, TaskResult, versions

_LEAKED = re.compile(r"#?(?:given|rewritten) (?:problem|prompt)#?", re.IGNORECASE)
_WS = re.compile(r"\s+")


def eliminate(parent: str, child: str) -> str | None:
    """Why an evolution fails (None if it survives): a copy of its parent, or template words
    leaked into the problem. Empty, refused and too-short problems are caught by
    :func:`~skyray.synth.context.clean_question` before this."""
    if _WS.sub(" ", parent).strip().lower() == _WS.sub(" ", child).strip().lower():
        return "copied-parent"
    if _LEAKED.search(child):
        return "copied-prompt-words"
    return None


async def run_evol(task: Task, ctx: OpContext) -> TaskResult:
    result = TaskResult(task.index)
    parent_question, parent_id = task.seed.problem, task.parent_id
    for step, strategy in enumerate(task.ops, start=1):
        operator = f"evol.{strategy}"
        tv = versions(f"evol_{strategy}", "solve")
        key = ctx.lineage_id(task, operator, step, parent_id, tv)
        question, out = await ctx.rewrite(
            f"evol_{strategy}", key, result, "evol", question=parent_question
        )
        if question is None:
            return result  # the chain stops at a failed evolution
        reason = eliminate(parent_question, question)
        if reason is not None:
            result.drops[f"evol:{reason}"] += 1
            return result
        await ctx.solve(
            task,
            result,
            question,
            operator,
            tv,
            step=step,
            parent_id=parent_id,
            tokens=(out.prompt_tokens, out.completion_tokens),
        )
        parent_question, parent_id = question, key
    return result
