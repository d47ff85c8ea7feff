"""The miniature world's teacher: answers SkyRay's synthesis prompts with *new* problems of the
world and correct step-by-step solutions, like a strong LLM would, over the same protocol.

- ``solve``: the world's solution (each step's sentence and arithmetic, ``The answer is X``);
  FOBAR/SV questions are solved for ``X`` by trying values and checking forward;
- ``sv_rewrite``: the masked question with its answer stated as a fact (MetaMath SV);
- ``rephrase``: the other wording of every sentence (same numbers, same answer);
- Evol: ``rewrite`` a new problem of the same kind and level; ``concretize`` other people and
  objects; ``constraints``, ``deepen``, ``reasoning`` add one step (a level-5 problem comes back
  unchanged: the pipeline must eliminate that copy);
- Xwin: ``generate`` a new problem of the same kind and level (``flawed_share`` of them ill
  posed), ``verify`` checks it step by step, ``correct`` repairs the failing steps.

Noise, so every filter has work: ``wrong_share`` of solutions slip at the last step,
``truncated_share`` stop early (``finish_reason: length``), ``chatty_share`` chat instead of
ending with the answer line, and ``leak_share`` of new problems (Evol rewrite, Xwin generate)
are held-out test items verbatim: planted leaks decontamination must catch. Every choice is a
hash of the request (prompt and sampling seed): same request, same reply.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from skyray.data.miniworld import gen
from skyray.data.miniworld.text import (
    explain,
    from_statement,
    parse,
    render,
    solution_text,
    to_statement,
)
from skyray.data.miniworld.world import MAX_VALUE, Puzzle, solve
from skyray.llm.backends import Result, apply_stop
from skyray.testing.miniworld.config import MiniWorldTeacherConfig

ADD_STEP = ("evol_constraints", "evol_deepen", "evol_reasoning")
UNSOLVABLE = "I am not able to solve this problem; it does not say enough."


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / float(16**13)


class MiniWorldTeacher:
    """A serve backend (``chat``/``complete``) over the miniature world."""

    def __init__(self, cfg: MiniWorldTeacherConfig | None = None, model_name: str = "miniworld"):
        self.cfg = cfg or MiniWorldTeacherConfig()
        self.model_name = model_name
        self._test: list[Puzzle] | None = None

    @classmethod
    def from_config(cls, serve_cfg) -> MiniWorldTeacher:
        return cls(serve_cfg.miniworld, model_name=serve_cfg.served_model_name)

    def test_puzzles(self) -> list[Puzzle]:
        if self._test is None:
            from skyray.data.miniworld.splits import NUM_TEST_PER_LEVEL, split_puzzles

            self._test = list(split_puzzles("test", NUM_TEST_PER_LEVEL, self.cfg.seed))
        return self._test

    # ----- Backend protocol -----------------------------------------------------------------
    def chat(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> Result:
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        if not users:
            raise ValueError("messages contain no user message")
        prompt = "\n\n".join(m.get("content", "") for m in messages)
        return self._result(prompt, *self.respond(users[-1], sampling), sampling)

    def complete(self, prompt: str, sampling: dict[str, Any]) -> Result:
        return self._result(prompt, *self.respond(prompt, sampling), sampling)

    def _result(self, prompt: str, text: str, finish: str, sampling: dict[str, Any]) -> Result:
        text, _ = apply_stop(text, sampling.get("stop"))
        max_tokens = sampling.get("max_tokens")
        if max_tokens and len(text) // 4 > max_tokens:
            text, finish = text[: max_tokens * 4], "length"
        return Result(text, len(prompt) // 4, len(text) // 4, finish)

    # ----- answers ----------------------------------------------------------------------------
    def respond(self, prompt: str, sampling: dict[str, Any]) -> tuple[str, str]:
        """(reply text, finish reason) for one prompt."""
        from skyray.synth.prompts import match

        key = f"{prompt}\x00{sampling.get('seed')}"
        rng = random.Random(key)
        found = match(prompt)
        if found is None:
            return self.solve(prompt, key)
        template, fields = found
        question = fields.get("question", "").strip()
        name = template.name
        if name == "solve":
            return self.solve(question, key)
        if name == "xwin_verify":
            return self.verify(question), "stop"
        if name == "sv_rewrite":  # MetaMath SV: the answer stated as a fact
            return to_statement(question, fields.get("answer", "")) or question, "stop"
        if name in ("selfcompare", "selfconfirm"):  # SkyMath: compare with the previous answer
            return self.compare(question, fields.get("previous_response", ""), key)
        puzzle = _parse_known(question)
        if puzzle is None:  # not a problem of this world: leave it as it is
            return question, "stop"
        return render(self.rewrite(name, puzzle, rng, key)), "stop"

    def rewrite(self, name: str, p: Puzzle, rng: random.Random, key: str) -> Puzzle:
        if name in ("evol_rewrite", "xwin_generate") and _unit(key, "leak") < self.cfg.leak_share:
            return self._leak(p, key)
        if name == "rephrase":
            return p.__class__(**{**p.__dict__, "style": 1 - p.style})
        if name == "evol_rewrite":
            return gen.renumber(rng, p)
        if name == "evol_concretize":
            return gen.recast(rng, p)
        if name in ADD_STEP:
            return gen.add_step(rng, p) or p  # at the top level: a copy, eliminated later
        if name == "xwin_generate":
            fresh = gen.renumber(rng, p)
            if _unit(key, "flawed") < self.cfg.flawed_share:
                return gen.make_flawed(rng, fresh)
            return fresh
        if name == "xwin_correct":
            return p if solve(p) is not None else gen.repair(rng, p)
        raise ValueError(f"no miniworld answer for template {name}")

    def _leak(self, p: Puzzle, key: str) -> Puzzle:
        same = [t for t in self.test_puzzles() if t.level == p.level] or self.test_puzzles()
        return same[int(_unit(key, "which") * len(same))]

    def verify(self, question: str) -> str:
        puzzle = _parse_known(question)
        if puzzle is None:
            return "Step 1: the problem is not one I can check.\nVerdict: FLAWED"
        if solve(puzzle) is None:
            return (
                "Step 1: every quantity is defined.\n"
                "Step 2: following the steps, an amount stops being a whole number between "
                f"1 and {MAX_VALUE}.\nVerdict: FLAWED"
            )
        return (
            "Step 1: every quantity is defined.\n"
            "Step 2: every step keeps a whole amount.\n"
            "Step 3: the question has a single answer.\nVerdict: CORRECT"
        )

    def solve(self, question: str, key: str) -> tuple[str, str]:
        from skyray.synth.backward import parse_backward, parse_sv_question

        backward = parse_backward(question)
        statement = parse_sv_question(question)
        stated = from_statement(statement) if statement else None
        if backward is not None:
            _, masked, given = backward
            text = _solve_backward(masked, given)
        elif stated is not None:
            text = _solve_backward(*stated)
        else:
            puzzle = _parse_known(question)
            text = solution_text(puzzle) if puzzle and solve(puzzle) else None
        if text is None:
            return UNSOLVABLE, "stop"
        return self._noisy(text, key)

    def compare(self, question: str, previous: str, key: str) -> tuple[str, str]:
        """Name the first step where ``previous`` leaves the world's solution, then solve."""
        puzzle = _parse_known(question)
        if puzzle is None or solve(puzzle) is None:
            return UNSOLVABLE, "stop"
        text = solution_text(puzzle)
        return f"Comparison: {first_difference(previous, text)}\n{text}", "stop"

    def _noisy(self, text: str, key: str) -> tuple[str, str]:
        u, cfg = _unit(key, "noise"), self.cfg
        if u < cfg.wrong_share:
            return _slip(text, key), "stop"
        u -= cfg.wrong_share
        if u < cfg.truncated_share:
            return text[: max(8, len(text) // 2)], "length"
        u -= cfg.truncated_share
        if u < cfg.chatty_share:
            body, _, value = text.rpartition("\nThe answer is ")
            return f"Sure, happy to help!\n{body}\nSo that leaves {value}, I think. :)", "stop"
        return text, "stop"


def first_difference(previous: str, solution: str) -> str:
    """One sentence on where ``previous`` first differs from the correct ``solution``."""
    given = [ln.strip() for ln in previous.strip().splitlines() if ln.strip()]
    for k, line in enumerate(solution.splitlines()):
        if line.startswith("The answer is"):
            break
        if k >= len(given):
            return f"the previous answer stops before step {k + 1}, which is {line!r}."
        if given[k] != line:
            return (
                f"the previous answer goes wrong at step {k + 1}: it wrote {given[k]!r}, "
                f"but the step is {line!r}."
            )
    return "every step of the previous answer is right."


def _parse_known(question: str) -> Puzzle | None:
    parsed = parse(question)
    if parsed is None or parsed.has_unknown:
        return None
    return parsed.build(0)


def _solve_backward(masked: str, given: str) -> str | None:
    """Find X by trying values and checking forward; the check is the solution."""
    parsed = parse(masked)
    if parsed is None or not parsed.has_unknown or not given.strip().isdigit():
        return None
    for x in range(0, MAX_VALUE + 1):
        solved = solve(parsed.build(x))
        if solved is not None and solved[1] == int(given):
            lines = [f"- {line}" for line in explain(parsed.build(x))]
            return "\n".join(
                [f"Try X = {x}.", *lines, f"This gives {given}, as stated.", f"The answer is {x}"]
            )
    return None


def _slip(text: str, key: str) -> str:
    """The same solution with the last step's result (and so the answer) off by 1-3."""
    body, _, value = text.rpartition("\nThe answer is ")
    wrong = int(value) + 1 + int(_unit(key, "slip") * 3)
    head, _, last = body.rpartition("\n")
    last = last.rsplit("= ", 1)[0] + f"= {wrong}."
    return "\n".join(x for x in (head, last, f"The answer is {wrong}") if x)
