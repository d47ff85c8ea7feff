"""What the teacher is asked and what the trained model will see.

- Teacher prompts are the versioned files ``selfcompare.v<N>.txt`` (a wrong or missing answer:
  name the error, then the corrected solution) and ``selfconfirm.v<N>.txt`` (a right answer:
  confirm it, then the solution) in :mod:`skyray.synth.prompts`, so the deterministic teacher
  recognises them like every synthesis prompt.
- The training question is the problem plus a progressive-hint-style hint carrying the previous
  answer (``hint_template``), so the model learns to compare its previous answer with the truth.
"""

from __future__ import annotations

from typing import Any

WRONG_TEMPLATE = "selfcompare"
RIGHT_TEMPLATE = "selfconfirm"
NO_ANSWER = "(no final answer)"
MAX_PREVIOUS_CHARS = 6000  # a runaway previous answer is cut (the teacher needs its start)


def reference_text(answer: dict[str, Any]) -> str:
    """The correct reasoning shown to the teacher: the row's solution and its gold answer."""
    reference = str(answer.get("reference") or "").strip()
    final = f"The correct final answer is {answer['gold']}."
    return f"{reference}\n{final}" if reference else final


def teacher_fields(answer: dict[str, Any]) -> dict[str, str]:
    """Template fields for one graded answer row."""
    previous = str(answer.get("response") or "").strip() or "(empty response)"
    if len(previous) > MAX_PREVIOUS_CHARS:
        previous = previous[:MAX_PREVIOUS_CHARS] + " [...]"
    return {
        "question": str(answer["problem"]),
        "previous_answer": str(answer.get("extracted") or NO_ANSWER),
        "previous_response": previous,
        "reference": reference_text(answer),
    }


def training_question(
    problem: str, previous: str | None, hint_template: str, no_answer_hint: str
) -> str:
    """The SFT question: the problem with the previous answer as a hint."""
    if previous is None:
        return no_answer_hint.format(question=problem.strip())
    return hint_template.format(question=problem.strip(), previous=previous.strip())
