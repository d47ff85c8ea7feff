"""Progressive-hint prompting (Zheng et al., 2023), on top of any generation backend.

Round 0 is the ordinary zero-shot answer. In round r, a problem whose last answer differs from
the one before is asked again with its previous answers as a hint appended to the question
(``(Hint: The answer is near to 12, 15).``), in the same SFT prompt. A problem stops when two
consecutive answers agree (compared as normalised strings), when no answer can be extracted, when
a request fails, or after ``max_rounds``. The final response is the last round's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from skyray.config import require
from skyray.eval.generate import Generator, GenRequest, GenResult


@dataclass(kw_only=True)
class HintConfig:
    max_rounds: int = 0  # hint rounds after the first answer (0 = off; PHP used up to ~4)
    max_hints: int = 3  # previous answers listed in the hint (most recent last)

    def __post_init__(self) -> None:
        require(self.max_rounds >= 0, f"hints.max_rounds must be >= 0, got {self.max_rounds}")
        require(self.max_hints >= 1, f"hints.max_hints must be >= 1, got {self.max_hints}")


@dataclass
class HintTrace:
    answers: list[str | None] = field(default_factory=list)  # extracted answer per round
    rounds: int = 0  # hint rounds actually run for this problem
    first: GenResult | None = None  # the round-0 result


def hinted_question(question: str, answers: list[str], max_hints: int) -> str:
    hints = ", ".join(answers[-max_hints:])
    return f"{question.strip()} (Hint: The answer is near to {hints})."


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
    traces = [HintTrace([extract_answer(r.text).answer], 0, r) for r in results]
    active = [i for i, r in enumerate(results) if r.error is None and traces[i].answers[0]]
    for round_no in range(1, cfg.max_rounds + 1):
        if not active:
            break
        reqs = []
        for i in active:
            previous = [a for a in traces[i].answers if a]
            prompt = render_prompt(hinted_question(questions[i], previous, cfg.max_hints))
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
            trace.rounds = round_no
            if answer is not None and not _same(answer, trace.answers[-2]):
                still.append(i)
        active = still
    return results, traces
