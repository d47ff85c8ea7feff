"""The deterministic teacher: valid, parseable answers to SkyRay's own synthesis prompts.

It knows a set of seed problems (with their solutions) and recognises each prompt template of
:mod:`skyray.synth.prompts` with :func:`~skyray.synth.prompts.match`:

- rewrites (rephrase, the five Evol strategies, Xwin generation and correction) keep the seed
  problem verbatim and add a fixed phrase per strategy, so the answer is unchanged and the phrases
  can be stripped again to find the seed; a strategy applied twice returns the question unchanged
  (an evolution the pipeline must eliminate as a copy of its parent);
- Xwin verification flags a fixed quarter of questions (by hash) as flawed;
- solutions come from the seed's own solution and answer; backward (FOBAR/SV) questions are
  answered with the masked number, found by masking the known seeds the same way;
- self-compare and confirmation prompts (:mod:`skyray.selfcompare`) and the self-verification
  rewrite are answered by :mod:`skyray.testing.skymath` (from the reasoning the prompt carries; an
  SV statement :meth:`solve` maps back to the seed's masked number);
- the evaluation judge prompt (:mod:`skyray.eval.verifier`) gets a Yes/No verdict from the shared
  grader (:mod:`skyray.testing.judge`);
- the SFT prompt is answered as a deterministic *student* (:mod:`skyray.testing.student`): right,
  wrong or without an answer by a hash of the problem, and swayed by progressive hints;
- anything else is answered by symbolic computation when it is an arithmetic expression.

Every response ends with ``\\nThe answer is X``. Token counts are ``len(text) // 4``. Same request,
same answer: sampling params only pick among equivalent rephrasings (through ``seed``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from skyray.llm.backends import Result, apply_stop
from skyray.records import Problem
from skyray.synth.backward import maskable_numbers, parse_backward, parse_sv_question

REPHRASE_PREFIXES = (
    "Consider the following problem. ",
    "Here is a question to answer. ",
    "Please solve this. ",
)
EVOL_PHRASES = {  # strategy -> (prefix, suffix)
    "evol_rewrite": ("Here is a new problem of the same kind. ", ""),
    "evol_constraints": ("", " Express the final answer in simplest form."),
    "evol_deepen": ("", " Explain why each step of the method is valid."),
    "evol_concretize": ("In a concrete setting: ", ""),
    "evol_reasoning": ("", " Reason through at least three intermediate steps."),
}
XWIN_PREFIX = "Try this problem. "
XWIN_FIX = " Assume all given quantities are exact."
PREFIXES = (*REPHRASE_PREFIXES, XWIN_PREFIX, *(p for p, _ in EVOL_PHRASES.values() if p))
SUFFIXES = (XWIN_FIX, *(s for _, s in EVOL_PHRASES.values() if s))
_WS = re.compile(r"\s+")
_ARITH = re.compile(r"^(?:what is|compute|evaluate|calculate)\s+([-+*/().\d\s^]+)\??$", re.I)


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def strip_phrases(question: str) -> str:
    """Remove every phrase the deterministic rewrites add (repeatedly, in any order)."""
    text = _norm(question)
    changed = True
    while changed:
        changed = False
        for prefix in PREFIXES:
            if text.startswith(prefix.strip()):
                text, changed = text[len(prefix.strip()) :].strip(), True
        for suffix in SUFFIXES:
            if text.endswith(suffix.strip()):
                text, changed = text[: -len(suffix.strip())].strip(), True
    return text


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


class DeterministicTeacher:
    """A teacher backend over known seed problems (see the module docstring)."""

    def __init__(self, problems: list[Problem], model_name: str = "deterministic") -> None:
        self.model_name = model_name
        self.by_question: dict[str, Problem] = {}
        self.by_masked: dict[str, str] = {}  # masked question -> masked value
        for p in problems:
            question = _norm(p.problem)
            self.by_question.setdefault(question, p)
            for found in maskable_numbers(question):
                masked = question[: found.start()] + "X" + question[found.end() :]
                self.by_masked.setdefault(masked, found.group(1))

    @classmethod
    def from_config(cls, cfg) -> DeterministicTeacher:
        from skyray.data.benchmarks import load_benchmark
        from skyray.data.seeds import read_problems

        problems: list[Problem] = list(getattr(cfg, "problems", None) or [])
        if cfg.seeds_path:
            problems.extend(read_problems(cfg.seeds_path))
        for name in cfg.seed_sources:
            problems.extend(load_benchmark(name, cfg.data_dir or None))
        return cls(problems, model_name=cfg.served_model_name)

    # ----- Backend protocol -----------------------------------------------------------------
    def chat(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> Result:
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        if not users:
            raise ValueError("messages contain no user message")
        prompt = "\n\n".join(m.get("content", "") for m in messages)
        return self._result(prompt, self.respond(users[-1], sampling), sampling)

    def complete(self, prompt: str, sampling: dict[str, Any]) -> Result:
        return self._result(prompt, self.respond(prompt, sampling), sampling)

    def _result(self, prompt: str, text: str, sampling: dict[str, Any]) -> Result:
        text, stopped = apply_stop(text, sampling.get("stop"))
        finish = "stop"
        max_tokens = sampling.get("max_tokens")
        if max_tokens and len(text) // 4 > max_tokens:
            text, finish = text[: max_tokens * 4], "length"
        return Result(text, len(prompt) // 4, len(text) // 4, finish)

    # ----- answers ----------------------------------------------------------------------------
    def respond(self, prompt: str, sampling: dict[str, Any]) -> str:
        from skyray.synth.prompts import match
        from skyray.testing.student import sft_query

        found = match(prompt)
        if found is None:
            judged = self.judge(prompt)
            if judged is not None:
                return judged
            query = sft_query(prompt)
            answer = self.student(query) if query is not None else None
            return answer if answer is not None else self.solve(query or prompt)
        template, fields = found
        raw = fields.get("question", "").strip()  # newlines matter to backward questions
        question = _norm(raw)
        name = template.name
        if name == "solve":
            return self.solve(raw)
        if name == "rephrase":
            prefix = REPHRASE_PREFIXES[int(sampling.get("seed") or 0) % len(REPHRASE_PREFIXES)]
            return prefix + strip_rephrase(question)
        if name in EVOL_PHRASES:
            prefix, suffix = EVOL_PHRASES[name]
            if (prefix and question.startswith(prefix.strip())) or (
                suffix and question.endswith(suffix.strip())
            ):
                return question  # nothing new to add: a copy the pipeline must eliminate
            return prefix + question + suffix
        if name == "xwin_generate":
            return XWIN_PREFIX + question
        if name == "xwin_verify":
            return self.verify(question)
        if name == "xwin_correct":
            return question + XWIN_FIX
        if name in ("selfcompare", "selfconfirm"):
            from skyray.testing.skymath import compare_reply

            return compare_reply(fields, confirm=name == "selfconfirm")
        if name == "sv_rewrite":
            from skyray.testing.skymath import sv_statement

            return sv_statement(raw, fields.get("answer", ""))
        raise ValueError(f"no deterministic answer for template {template.version}")

    def judge(self, prompt: str) -> str | None:
        """A verdict on an evaluation judge prompt (:mod:`skyray.testing.judge`), else None."""
        from skyray.eval.verifier import parse_judge_prompt
        from skyray.testing.judge import judge_reply

        pair = parse_judge_prompt(prompt)
        if pair is None:
            return None
        question, response = pair
        seed = self.by_question.get(strip_phrases(question))
        gold = seed.answer if seed is not None else _arithmetic(_norm(question))
        return judge_reply(question, response, gold)

    def verify(self, question: str) -> str:
        steps = (
            "Step 1: every quantity in the problem is defined.\n"
            "Step 2: the conditions are compatible with each other.\n"
        )
        if _hash(question) % 4 == 0 and not question.endswith(XWIN_FIX.strip()):
            return (
                steps + "Step 3: the exactness of the given values is not stated.\nVerdict: FLAWED"
            )
        return steps + "Step 3: the question has a single final answer.\nVerdict: CORRECT"

    def student(self, query: str) -> str | None:
        """The student's answer to an SFT prompt's question (None for unknown problems)."""
        from skyray.testing.student import split_hint, student_answer

        question, hinted = split_hint(query)
        seed = self.by_question.get(strip_phrases(question))
        if seed is None:
            return None
        body = _clean_solution(seed.solution) or f"Solving the problem gives {seed.answer}."
        return student_answer(question, hinted, seed, body)

    def solve(self, question: str) -> str:
        statement = parse_sv_question(question)
        if statement is not None:
            from skyray.testing.skymath import SV_STATEMENT

            found = SV_STATEMENT.match(_norm(statement))
            if found:
                masked = _norm(f"{found.group('body')} {found.group('question')}")
                value = self.by_masked.get(strip_phrases(masked))
                if value is not None:
                    return (
                        f"The statement says the answer is {found.group('answer')}. Solving the "
                        f"relation for the unknown gives X = {value}.\nThe answer is {value}"
                    )
        backward = parse_backward(question)
        if backward is not None:
            _, masked, given = backward
            value = self.by_masked.get(strip_phrases(masked))
            if value is not None:
                return (
                    f"We are told that the answer to the question is {given}. Working backwards "
                    f"through the problem, the unknown variable must be X = {value}.\n"
                    f"The answer is {value}"
                )
        seed = self.by_question.get(strip_phrases(question))  # strip_phrases normalises spaces
        if seed is not None:
            body = _clean_solution(seed.solution) or f"Solving the problem gives {seed.answer}."
            return f"Let's solve this step by step.\n{body}\nThe answer is {seed.answer}"
        value = _arithmetic(_norm(question))
        if value is not None:
            return f"We compute the expression directly: it equals {value}.\nThe answer is {value}"
        return "The problem cannot be solved from the information given.\nThe answer is unknown"


def strip_rephrase(question: str) -> str:
    for prefix in REPHRASE_PREFIXES:
        if question.startswith(prefix.strip()):
            return question[len(prefix.strip()) :].strip()
    return question


def _clean_solution(solution: str) -> str:
    lines = [ln for ln in solution.strip().splitlines() if not ln.startswith("####")]
    return "\n".join(lines).strip()


def _arithmetic(question: str) -> str | None:
    found = _ARITH.match(question.strip())
    if not found:
        return None
    import sympy

    try:
        value = sympy.nsimplify(sympy.sympify(found.group(1).replace("^", "**")))
    except (sympy.SympifyError, TypeError, ValueError, ZeroDivisionError, SyntaxError):
        return None
    return str(value)
