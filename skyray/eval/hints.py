"""Progressive-hint prompting (Zheng et al., 2023), on top of any generation backend.

Round 0 is the ordinary zero-shot answer. In round r, a problem that has not stopped is asked
again with its previous answers as a hint appended to the question (``hint_template``, by default
``(Hint: The answer is near to 12, 15).``), in the same SFT prompt. The stop rule
(``stop_rule``): ``consecutive`` (PHP's: two consecutive answers agree, compared as normalised
strings), ``any-repeat`` (the answer repeats any earlier one) or ``never`` (always
``max_rounds``). A problem also stops when no answer can be extracted, when a request fails, or
after ``max_rounds``. The final response is the last round's; every round's response is kept in
the trace, so the report can grade each round (:mod:`skyray.eval.php_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skyray.config import require
from skyray.llm.generation import Generator, GenRequest, GenResult

DEFAULT_HINT = "(Hint: The answer is near to {hints})."


@dataclass(kw_only=True)
class HintConfig:
    max_rounds: int = 0  # hint rounds after the first answer (0 = off; PHP used up to ~4)
    max_hints: int = 3  # previous answers listed in the hint (most recent last)
    hint_template: str = DEFAULT_HINT  # appended to the question; {hints}: "12, 15"
    # when a problem stops: two consecutive equal answers (PHP), an answer seen before, or never
    stop_rule: Literal["consecutive", "any-repeat", "never"] = "consecutive"

    def __post_init__(self) -> None:
        require(self.max_rounds >= 0, f"hints.max_rounds must be >= 0, got {self.max_rounds}")
        require(self.max_hints >= 1, f"hints.max_hints must be >= 1, got {self.max_hints}")
        require(
            "{hints}" in self.hint_template,
            f"hints.hint_template must contain {{hints}}: {self.hint_template!r}",
        )


@dataclass
class HintTrace:
    answers: list[str | None] = field(default_factory=list)  # extracted answer per round
    rounds: int = 0  # hint rounds actually run for this problem
    first: GenResult | None = None  # the round-0 result
    responses: list[str] = field(default_factory=list)  # response text per round run


def hinted_question(
    question: str, answers: list[str], max_hints: int, template: str = DEFAULT_HINT
) -> str:
    hints = ", ".join(answers[-max_hints:])
    return f"{question.strip()} {template.format(hints=hints)}"


def _stops(answers: list[str | None], rule: str) -> bool:
    """Whether the newest answer ends the problem's rounds under ``rule``."""
    answer = answers[-1]
    if answer is None:
        return True
    if rule == "consecutive":
        return _same(answer, answers[-2])
    if rule == "any-repeat":
        return any(_same(answer, earlier) for earlier in answers[:-1])
    return False


def _same(a: str | None, b: str | None) -> bool:
    from skyray.math.normalize import strict_normalize

    return a is not None and b is not None and strict_normalize(a) == strict_normalize(b)


def progressive_hints(
    gen: Generator,
    questions: list[str],
    requests: list[GenRequest],
    results: list[GenResult],
    cfg: HintConfig,
) -> tuple[list[GenResult], list[HintTrace]]:
    """Run the hint rounds; ``questions[i]`` is the problem behind ``requests[i]``. Returns the
    final results (token counts summed over rounds) and one trace per request."""
    from skyray.math.extract import extract_answer
    from skyray.prompt import render_prompt

    results = list(results)
    traces = [HintTrace([extract_answer(r.text).answer], 0, r, [r.text]) for r in results]
    active = [i for i, r in enumerate(results) if r.error is None and traces[i].answers[0]]
    for round_no in range(1, cfg.max_rounds + 1):
        if not active:
            break
        reqs = []
        for i in active:
            previous = [a for a in traces[i].answers if a]
            hinted = hinted_question(questions[i], previous, cfg.max_hints, cfg.hint_template)
            prompt = render_prompt(hinted)
            reqs.append(GenRequest(requests[i].key, prompt, requests[i].sample_index))
        still = []
        for i, out in zip(active, gen.generate(reqs), strict=True):
            if out.error is not None:  # keep the last good answer; the failure ends its rounds
                continue
            prev = results[i]
            out.prompt_tokens += prev.prompt_tokens
            out.completion_tokens += prev.completion_tokens
            results[i] = out
            answer = extract_answer(out.text).answer
            trace = traces[i]
            trace.answers.append(answer)
            trace.responses.append(out.text)
            trace.rounds = round_no
            if not _stops(trace.answers, cfg.stop_rule):
                still.append(i)
        active = still
    return results, traces
