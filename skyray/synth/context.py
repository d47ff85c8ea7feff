"""What every augmentation operator shares: the task, the teacher calls and the output checks.

A :class:`Task` is one unit of work: augment one problem with one operator. :class:`OpContext`
sends a templated prompt (``ask``), turns a teacher reply into a clean question (``rewrite``) and
turns a question into a :class:`~skyray.records.SyntheticSample` (``solve``), counting every drop by
reason (``"parse:no-answer-line"``, ``"answer-mismatch"``, ``"teacher-error:timeout ..."``).

Every request is deterministic: its sampling ``seed`` is derived from the sample's lineage id and
the request's role, so the same task sends the same requests (and hits the cache on a rerun).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from skyray.llm.types import Completion
from skyray.records import Problem, SyntheticSample
from skyray.synth.final_line import canonical_final_line, strip_chatty_opening
from skyray.synth.prompts import get_template, render

ANSWER_LINE = re.compile(r"^The answer is:?\s*(.+?)\s*$", re.MULTILINE)
_MARKERS = re.compile(
    r"^\s*(?:#+\s*)?(?:#?rewritten problem#?|rephrased question|new problem|corrected problem|"
    r"question|problem)\s*:\s*",
    re.IGNORECASE,
)
_REFUSAL = re.compile(r"^\s*(?:i'?m sorry|sorry,|i cannot|i can't|as an ai)", re.IGNORECASE)


@dataclass(frozen=True)
class Task:
    index: int  # position in the stage's task order (outputs are kept in this order)
    seed: Problem  # the problem to augment (an original seed or a seed-synthetic problem)
    root_id: str  # id of the original seed problem
    parent_id: str  # id of the seed-synthetic sample it starts from ("" for original seeds)
    family: str  # "metamath", "evol" or "xwin"
    ops: tuple[str, ...]  # metamath: (method,); evol: the strategy chain; xwin: ("xwin",)
    sample_index: int  # n-th task for the same seed in this stage
    stage: int  # 1 = normal, 2 = hard


@dataclass
class TaskResult:
    index: int
    samples: list[SyntheticSample] = field(default_factory=list)
    drops: Counter[str] = field(default_factory=Counter)
    edits: Counter[str] = field(default_factory=Counter)  # kept outputs changed, by kind


def request_seed(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % (2**31 - 1)


def versions(*names: str) -> str:
    """Template versions of a chain, e.g. "rephrase.v1+solve.v1"."""
    return "+".join(get_template(n).version for n in names)


def clean_question(text: str, min_words: int = 4) -> tuple[str | None, str]:
    """A teacher's rewritten question, without echoed markers; (None, reason) if unusable."""
    text = _MARKERS.sub("", text.strip(), count=1).strip()
    if not text:
        return None, "empty"
    if _REFUSAL.match(text):
        return None, "refusal"
    if len(re.findall(r"\w+", text)) < min_words:
        return None, "lost-question"
    return text, ""


def finish_response(text: str) -> tuple[str | None, str | None, str]:
    """(response, answer, reason): the response cut after its last ``The answer is`` line, which
    must follow some reasoning; (None, None, reason) otherwise."""
    lines = list(ANSWER_LINE.finditer(text))
    if not lines:
        return None, None, "parse:no-answer-line"
    last = lines[-1]
    answer = last.group(1).strip().rstrip(".").strip()
    reasoning = text[: last.start()].strip()
    if not answer:
        return None, None, "parse:empty-answer"
    if not reasoning:
        return None, None, "parse:no-steps"
    return f"{reasoning}\nThe answer is {answer}", answer, ""


class OpContext:
    """Teacher access and output checks for one job (one per process / actor)."""

    def __init__(self, teacher, sampling: dict, check_answers: bool = True, min_words: int = 4):
        self.teacher = teacher
        self.sampling = dict(sampling)
        self.sampling_json = json.dumps(self.sampling, sort_keys=True)
        self.check_answers = check_answers
        self.min_words = min_words

    def lineage_id(self, task: Task, operator: str, step: int, parent_id: str, tv: str) -> str:
        return SyntheticSample.lineage_id(**self.lineage(task, operator, step, parent_id, tv))

    def lineage(self, task: Task, operator: str, step: int, parent_id: str, tv: str) -> dict:
        return {
            "seed_id": task.root_id,
            "parent_id": parent_id,
            "operator": operator,
            "step": step,
            "teacher": self.teacher.model,
            "template_version": tv,
            "sampling": self.sampling_json,
            "stage": task.stage,
            "sample_index": task.sample_index,
        }

    async def ask(self, template: str, key: str, **fields: str) -> Completion:
        prompt, _ = render(template, **fields)
        sampling = dict(self.sampling, seed=request_seed(f"{key}:{template}"))
        return await self.teacher.acomplete([{"role": "user", "content": prompt}], sampling)

    async def rewrite(
        self, template: str, key: str, result: TaskResult, prefix: str, **fields: str
    ) -> tuple[str | None, Completion]:
        """A new question from the teacher, or None (drop counted as ``<prefix>:<reason>``)."""
        out = await self.ask(template, key, **fields)
        if not out.ok:
            result.drops[f"teacher-error:{out.error}"] += 1
            return None, out
        if out.finish_reason == "length":
            result.drops[f"{prefix}:truncated"] += 1
            return None, out
        text, chatty = strip_chatty_opening(out.text)
        question, reason = clean_question(text, self.min_words)
        if question is None:
            result.drops[f"{prefix}:{reason}"] += 1
        elif chatty:
            result.edits["question:chatty-opening-stripped"] += 1
        return question, out

    async def solve(
        self,
        task: Task,
        result: TaskResult,
        question: str,
        operator: str,
        tv: str,
        step: int = 0,
        parent_id: str = "",
        gold: str | None = None,
        tokens: tuple[int, int] = (0, 0),
    ) -> SyntheticSample | None:
        """Ask for a step-by-step solution of ``question``; the sample, or None (drop counted)."""
        lineage = self.lineage(task, operator, step, parent_id, tv)
        sample_id = SyntheticSample.lineage_id(**lineage)
        out = await self.ask("solve", sample_id, question=question)
        if not out.ok:
            result.drops[f"teacher-error:{out.error}"] += 1
            return None
        if out.finish_reason == "length":
            result.drops["solve:truncated"] += 1
            return None
        final = canonical_final_line(out.text, gold if self.check_answers else None)
        if final.response is None:
            result.drops[final.edit] += 1
            return None
        response, answer = final.response, final.answer
        sample = SyntheticSample(
            question=question,
            response=response,
            answer=answer,
            gold=gold,
            subject=task.seed.subject,
            level=task.seed.level,
            prompt_tokens=tokens[0] + out.prompt_tokens,
            completion_tokens=tokens[1] + out.completion_tokens,
            **lineage,
        )
        result.samples.append(sample)
        result.edits[final.edit] += 1
        return sample


def answers_match(response: str, gold: str) -> bool:
    """The shared grader: strict first (cheap), then symbolic equivalence."""
    from skyray.math.grade import grade

    return grade(response, gold, "strict").correct or grade(response, gold, "equiv").correct
