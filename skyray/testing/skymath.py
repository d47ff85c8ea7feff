"""The deterministic teacher's SkyMath answers (see :mod:`skyray.testing.deterministic`).

- :func:`compare_reply`: a self-compare (or confirmation) reply built from the correct reasoning
  the prompt carries: a ``Comparison:`` paragraph that names the step of the previous answer to
  blame (the last one stating the wrong answer, else the first one the reasoning does not
  contain), then the reasoning as the corrected solution, ending with the reference's answer;
- :func:`sv_statement`: the self-verification rewrite: the masked question's asking sentence
  becomes ``The answer to the question "Q" is A.``, which :data:`SV_STATEMENT` parses back.
"""

from __future__ import annotations

import re

from skyray.testing.deterministic import _clean_solution, _norm

FINAL_LINE = re.compile(r"^(?:The answer is|The correct final answer is)\b", re.I)
SV_STATEMENT = re.compile(
    r'(?P<body>.*?)\s*The answer to the question "(?P<question>.*)" is (?P<answer>.+)\.\Z'
)


def sv_statement(masked: str, answer: str) -> str:
    """The deterministic self-verification rewrite: the masked question's asking sentence becomes
    a statement of the given answer."""
    masked = _norm(masked)
    parts = re.split(r"(?<=[.!?])\s+", masked)
    body, asked = " ".join(parts[:-1]), parts[-1]
    return f'{body} The answer to the question "{asked}" is {answer.strip()}.'.strip()


def compare_reply(fields: dict[str, str], confirm: bool) -> str:
    """A self-compare (or confirmation) reply built from the prompt's correct reasoning."""
    from skyray.math.extract import extract_answer
    from skyray.math.grade import gold_from_solution

    reference = fields.get("reference", "")
    gold = gold_from_solution(reference) or extract_answer(reference).answer or "unknown"
    lines = [
        ln
        for ln in _clean_solution(reference).splitlines()
        if ln.strip() and not FINAL_LINE.match(ln.strip())
    ]
    body = "\n".join(lines) or f"Solving the problem gives {gold}."
    previous = fields.get("previous_answer", "").strip()
    if confirm:
        head = (
            f"Comparison: the previous answer reached {previous}, which agrees with the correct "
            "reasoning, so its final answer is right."
        )
    elif previous.startswith("("):  # no final answer was extracted
        last = (fields.get("previous_response", "").strip().splitlines() or [""])[-1]
        head = (
            f'Comparison: the previous answer stops at "{last[:120]}" and never reaches a final '
            f"answer; the correct reasoning concludes with {gold}."
        )
    else:
        wrong = _wrong_step(fields.get("previous_response", ""), previous, lines)
        head = (
            f"Comparison: the previous answer concluded {previous}, but the correct answer is "
            f'{gold}. The error is in the step "{_norm(wrong)[:160]}", which does not follow '
            "from the problem."
        )
    label = "Solution" if confirm else "Corrected solution"
    return f"{head}\n{label}:\n{body}\nThe answer is {gold}"


def _wrong_step(response: str, previous: str, reference: list[str]) -> str:
    """The step to blame: the last one that states the wrong answer, else the first one the
    correct reasoning does not contain."""
    steps = [ln for ln in response.splitlines() if ln.strip() and not FINAL_LINE.match(ln.strip())]
    stating = [ln for ln in steps if previous and previous in ln]
    if stating:
        return stating[-1]
    known = {_norm(ln) for ln in reference}
    fresh = [ln for ln in steps if _norm(ln) not in known and "step by step" not in ln]
    return fresh[0] if fresh else (steps[-1] if steps else "")
