"""A deterministic *student*: how the deterministic backend answers the SFT prompt.

Self-compare fine-tuning and progressive-hint prompting need a model that is sometimes wrong and
whose answers hints can change. For a prompt in the SFT format (:func:`skyray.prompt.render_prompt`)
about a problem it knows, the student answers by a hash of the normalised question:

- ``h % 8 in (0, 1)``: a wrong final answer (the gold nudged, ``near_miss``);
- ``h % 8 == 2``: no final answer at all (it gives up mid-way);
- otherwise: the seed's solution and its right answer.

With a progressive hint (``(Hint: The answer is near to A, B).``) it reconsiders: a wrong answer
with ``h % 8 == 0`` turns right, one with ``h % 8 == 1`` stays the same, and a right answer with
``h % 8 == 3`` turns wrong (it trusts a hint it should not); the rest repeat themselves. So a PHP
run has flips both ways and stops by the two-equal-answers rule. Unknown problems get ``None``.
"""

from __future__ import annotations

import hashlib
import re

from skyray.records import Problem
from skyray.synth.php import near_miss

_SFT_PROMPT = re.compile(
    r"\A.*?### Instruction:\n(?P<query>.*)\n\n### Response: Let's think step by step\.?\s*\Z",
    re.DOTALL,
)
_HINT = re.compile(r"\s*\(Hint: .*\)\.?\s*\Z", re.DOTALL)
_WS = re.compile(r"\s+")


def sft_query(prompt: str) -> str | None:
    """The instruction of an SFT-format prompt, else None."""
    found = _SFT_PROMPT.match(prompt)
    return found.group("query") if found else None


def split_hint(query: str) -> tuple[str, bool]:
    """(the question without a trailing hint, whether there was one)."""
    found = _HINT.search(query)
    if found is None:
        return query.strip(), False
    return query[: found.start()].strip(), True


def _hash(text: str) -> int:
    return int(hashlib.sha256(_WS.sub(" ", text).strip().encode()).hexdigest()[:8], 16) % 8


def student_answer(question: str, hinted: bool, seed: Problem, body: str) -> str:
    """The student's response to ``question`` (known as ``seed``, solved by ``body``)."""
    h = _hash(question)
    right = f"Let's solve this step by step.\n{body}\nThe answer is {seed.answer}"
    wrong = (
        f"Let's solve this step by step.\n{body.splitlines()[0] if body else ''}\n"
        f"Rounding the intermediate result, we get {near_miss(seed.answer)}.\n"
        f"The answer is {near_miss(seed.answer)}"
    )
    if h == 2:
        return "Let's solve this step by step.\nFirst we list the given quantities, and then"
    if hinted:
        if h == 0:
            return right
        if h in (1, 3):
            return wrong
        return right
    return wrong if h in (0, 1) else right
