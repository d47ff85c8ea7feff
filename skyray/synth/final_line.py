"""The canonical last line of a synthetic response, and chatty openings off generated questions.

The paper's grader (``strict``, MetaMath's rule) reads the rest of the line after the last
``The answer is``. A model trained on "Therefore, the answer is 5." or "The answer is
$\\boxed{18}$" learns to write answers its own evaluation cannot read, so every kept response is
rewritten to end with ``The answer is X`` where ``strict`` reads ``X`` back as the gold:

1. the final answer is found the way the ``equiv`` grader finds it, on the last line that
   announces one (an answer phrase, ``Answer:``, ``\\boxed{}``, ``####``, in bold or not);
2. that line is replaced by ``The answer is X`` (text before the announcing sentence stays, lines
   after it, such as "I hope this helps!", go);
3. ``X`` is the extracted answer without boxes, ``$``, bold or trailing unit words; when a gold is
   known and ``strict`` does not read ``X`` as the gold but ``equiv`` does, ``X`` becomes the gold
   as written (same value, the paper grader's form); when neither accepts it the sample is dropped.

Every outcome is a counted reason (:data:`FinalLine.edit`), so the manifest says how many final
lines were already canonical, rewritten, or put into the gold's form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skyray.math.extract import extract_answer, extract_strict
from skyray.math.latex import strip_math_delimiters

_ANNOUNCES = re.compile(r"answer|\\boxed|\\fbox|####", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?:])\s+)(?=\S)")
_LEAD_WORDS = re.compile(
    r"^(?:[*_#>\s]|so|thus|therefore|hence|finally|in conclusion|overall|,)*$", re.IGNORECASE
)
_UNIT_AFTER_NUMBER = re.compile(r"^(-?[\d.,/]+)\s+[a-zA-Z][a-zA-Z ]{0,24}$")
_CHATTY_OPENING = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|great|alright)\b[^\n]*?[.!,]\s*)?"
    r"(?:here(?:\s+is|'s|\s+are)\b[^\n:.?!]{0,60}:|(?:sure|certainly|of course|absolutely)[!.,]?(?=\s))\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FinalLine:
    response: str | None  # the response ending with the canonical line; None when dropped
    answer: str | None  # X of "The answer is X"
    edit: str  # "final-line:canonical"/"...:rewritten"/"...:gold-form", or the drop reason


def _clean(answer: str) -> str:
    """``X`` as strict wants it: no box, no ``$``, no bold, no trailing period or unit words."""
    text = strip_math_delimiters(answer.strip().strip("*_").strip())
    text = text.rstrip(".").strip().strip("*_").strip()
    text = strip_math_delimiters(text)
    unit = _UNIT_AFTER_NUMBER.match(text)
    return unit.group(1).rstrip(",.") if unit else text


def _kept_head(line: str) -> str:
    """The part of the announcing line before the sentence that announces the answer."""
    match = _ANNOUNCES.search(line)
    head = line[: match.start()] if match else ""
    starts = [m.start() for m in _SENTENCE_START.finditer(head)]
    head = head[: starts[-1]] if starts else ""
    return "" if _LEAD_WORDS.match(head) else head.rstrip()


def canonical_final_line(text: str, gold: str | None) -> FinalLine:
    """``text`` ending with ``The answer is X`` (see the module docstring), or a drop reason."""
    from skyray.math.grade import grade, strict_equal

    lines = text.strip().splitlines()
    index = next((i for i in range(len(lines) - 1, -1, -1) if _ANNOUNCES.search(lines[i])), None)
    if index is None:
        return FinalLine(None, None, "parse:no-answer-line")
    found = extract_answer(lines[index]).answer
    answer = _clean(found) if found else ""
    if not answer:
        return FinalLine(None, None, "parse:empty-answer")
    reasoning = "\n".join([*lines[:index], _kept_head(lines[index])]).strip()
    if not reasoning:
        return FinalLine(None, None, "parse:no-steps")
    edit = "final-line:rewritten"
    if gold is not None and not strict_equal(answer, gold):
        if not grade(f"The answer is {answer}", gold, "equiv").correct:
            return FinalLine(None, answer, "answer-mismatch")
        answer, edit = gold.strip(), "final-line:gold-form"
    response = f"{reasoning}\nThe answer is {answer}"
    if extract_strict(response).answer != answer:  # X must survive strict's own reading
        return FinalLine(None, answer, "parse:unreadable-answer")
    if response == text.strip():
        edit = "final-line:canonical"
    return FinalLine(response, answer, edit)


def strip_chatty_opening(question: str) -> tuple[str, bool]:
    """("Sure! Here is a new problem: Find ..." -> "Find ...", True); unchanged text, False."""
    stripped = _CHATTY_OPENING.sub("", question, count=1).strip()
    if stripped and stripped != question.strip():
        return stripped, True
    return question, False
