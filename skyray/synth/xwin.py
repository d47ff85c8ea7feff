"""Xwin-style question generation with self-correction (Li et al. 2024): the teacher writes a
new question from the seed, verifies it step by step for logical and mathematical consistency,
and corrects it when the verification finds a flaw (up to ``max_corrections`` rounds, each
verified again); a question that stays flawed is dropped.
"""

from __future__ import annotations

import re

from skyray.synth.context import OpContext, Task, TaskResult, versions

_VERDICT = re.compile(r"Verdict:\s*\**\s*(CORRECT|FLAWED)", re.IGNORECASE)
XWIN_TEMPLATES = ("xwin_generate", "xwin_verify", "xwin_correct", "solve")


def parse_verdict(text: str) -> str | None:
    """ "CORRECT" or "FLAWED" from the last verdict line of a verification, else None."""
    found = _VERDICT.findall(text)
    return found[-1].upper() if found else None


async def run_xwin(task: Task, ctx: OpContext, max_corrections: int = 1) -> TaskResult:
    result = TaskResult(task.index)
    tv = versions(*XWIN_TEMPLATES)
    key = ctx.lineage_id(task, "xwin", 0, task.parent_id, tv)
    question, out = await ctx.rewrite(
        "xwin_generate", key, result, "xwin", question=task.seed.problem
    )
    if question is None:
        return result
    tokens = [out.prompt_tokens, out.completion_tokens]
    for round_ in range(max_corrections + 1):
        check = await ctx.ask("xwin_verify", f"{key}:{round_}", question=question)
        if not check.ok:
            result.drops[f"teacher-error:{check.error}"] += 1
            return result
        tokens = [tokens[0] + check.prompt_tokens, tokens[1] + check.completion_tokens]
        verdict = parse_verdict(check.text)
        if verdict is None:
            result.drops["xwin:no-verdict"] += 1
            return result
        if verdict == "CORRECT":
            await ctx.solve(
                task, result, question, "xwin", tv, parent_id=task.parent_id, tokens=tuple(tokens)
            )
            return result
        if round_ == max_corrections:
            break
        question, fix = await ctx.rewrite(
            "xwin_correct", f"{key}:{round_}", result, "xwin", question=question, review=check.text
        )
        if question is None:
            return result
        tokens = [tokens[0] + fix.prompt_tokens, tokens[1] + fix.completion_tokens]
    result.drops["xwin:still-flawed"] += 1
    return result
