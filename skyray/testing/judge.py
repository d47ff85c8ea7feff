"""How the deterministic teacher judges (:mod:`skyray.eval.verifier`'s judge prompt): with the
shared grader (:mod:`skyray.math`), like a perfect verifier.

The problem's gold answer is the known seed's (by normalised question), else the value of an
arithmetic question; the verdict is ``Yes`` when the solution's extracted final answer equals it
(``equiv`` grader), else ``No``, followed by one sentence saying why. A problem it knows no
answer to gets a reply without a verdict (the verifier counts it as a parse failure).
"""

from __future__ import annotations


def judge_reply(question: str, response: str, gold: str | None) -> str:
    from skyray.math.grade import grade

    if gold is None:
        return "I cannot judge this solution: I do not know the problem's answer."
    verdict = grade(response, gold, "equiv")
    found = verdict.extracted if verdict.extracted is not None else "no final answer"
    if verdict.correct:
        return f"Yes. The solution's final answer {found} is the problem's answer."
    return f"No. The solution's final answer ({found}) is not the problem's answer {gold}."
