"""Final-answer extraction from a model or teacher response.

Two entry points:

- :func:`extract_strict`: MetaMath's rule. Only the text after the last ``The answer is``
  (optional colon) counts; nothing else is looked at.
- :func:`extract_answer`: what a careful reader would take as the final answer, in order: the text
  after the last answer phrase (``The answer is``, ``The final/correct answer is``) or the last
  ``\\boxed{}``, whichever comes later (plain words after the phrase lose to a box), a GSM8K ``#### N`` line, and a closing ``... is VALUE`` statement on the last line.

Both return an :class:`Extraction` whose ``answer`` is ``None`` when nothing was found, with
``method`` saying which rule fired (or ``"none"``), so callers can report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skyray.math.latex import boxed_spans, strip_math_delimiters

ANSWER_LINE = "The answer is"

_STRICT_RE = re.compile(r"The answer is:?[ \t]*")
_PHRASE_RE = re.compile(
    r"(?:(?:the\s+)?(?:final\s+|correct\s+)?answer(?:\*\*)?\s+(?:is|would\s+be|will\s+be)"
    r"|(?<![a-z])(?:final\s+)?answer\s*(?:\*\*)?\s*:)\s*:?\s*(?:\*\*)?[ \t]*",
    re.IGNORECASE,
)
_HASH_RE = re.compile(r"####\s*(.+)")
_BOX_START_RE = re.compile(r"\\(?:boxed|fbox)\b")
_STATEMENT_RE = re.compile(r".*\b(?:is|are|equals|was|be)\s+(.+)$", re.IGNORECASE)
_MATH_SEGMENT_RE = re.compile(r"\$([^$]+)\$|\\\((.+?)\\\)")
# what may stand between boxes that together give one answer: "\boxed{1} and \boxed{2}",
# "$y_1 = \boxed{..}$ and $y_2 = \boxed{..}$", "\boxed{1} papers and \boxed{2} bins"
_BOX_GAP_NOISE_RE = re.compile(r"\\(?:quad|qquad|text|mathrm|textnormal|[,;:!()\[\] ])|[${}$,;.:]")
_BOX_GAP_WORD_RE = re.compile(
    r"(?:and|or|also|both|respectively|for|part|\(?[a-z]\)?|[a-zA-Z](?:_\{?\w+\}?)?|=)",
    re.IGNORECASE,
)
_BOX_GAP_STOP_RE = re.compile(r"\.\s+[A-Z]|\n\s*\n|\\(?:times|cdot|div)\b|[+*/^]")
MAX_BOX_GAP_OTHER_WORDS = 2
# words after the answer that end it: "19, but this assumes ..."
_TRAILING_CLAUSE_RE = re.compile(
    r"(?:[,;]\s*|\s+)(?:but|because|since|which|however|assuming|given that|so that|"
    r"where|when|if|as\s+(?:required|desired|expected)|therefore|thus|hence)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE_END_RE = re.compile(
    r"(?<!\d)\.\s+(?=[A-Z(\\])|\.\s+(?=I\s|[A-Z][a-z]+\b)|\.\s*$|\.\s*\*\*\s*$"
)


@dataclass(frozen=True)
class Extraction:
    answer: str | None  # the cleaned answer text, None when none was found
    method: str  # "prefix", "phrase", "boxed", "gsm8k", "statement" or "none"


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


_INLINE_MATH_RE = re.compile(r"(?<!\\)\$(?:[^$]|\\\$)+?(?<!\\)\$")
_TRAILING_VALUE_RE = re.compile(
    r"\b(?:is|are|equals|be|=)\s+((?<!\\)\$[^$]+\$|-?[\d][\d.,/]*)\s*$", re.IGNORECASE
)


def _answer_in_sentence(text: str) -> str:
    """The value inside a whole sentence given as the answer: "We find that $x < 3$" -> ``x < 3``,
    "The largest $n$ is 34" -> ``34``; text that is not such a sentence is returned unchanged."""
    outside = _INLINE_MATH_RE.sub(" ", text)
    words = [w for w in re.findall(r"[A-Za-z]{2,}", outside) if w.lower() not in ("and", "or")]
    if len(words) < 2:
        return text
    trailing = _TRAILING_VALUE_RE.search(text)
    if trailing:
        return trailing.group(1)
    segments = _INLINE_MATH_RE.findall(text)
    return segments[-1] if segments else text


def clean_answer(text: str) -> str:
    """Trim an extracted answer: inner ``\\boxed{}``, math delimiters, trailing words/period."""
    text = text.strip()
    boxed = final_boxed(text)
    if boxed is not None:
        return boxed
    text = _TRAILING_CLAUSE_RE.sub("", text)
    match = _SENTENCE_END_RE.search(text)
    if match:
        text = text[: match.start()]
    text = text.strip().strip("*").strip().rstrip(".").strip().strip("*").strip()
    text = _answer_in_sentence(text)
    text = strip_math_delimiters(text)
    if re.search(r"(?<!\\)\$", text):  # "$p=-1$ and $p=15/8$": several math segments
        text = re.sub(r"(?<!\\)\$", "", text).strip()
    for quote in ('\\"', '"', "'", "`"):
        if len(text) > 2 * len(quote) and text.startswith(quote) and text.endswith(quote):
            text = text[len(quote) : -len(quote)].strip()
    return text.strip()


def extract_strict(response: str) -> Extraction:
    """MetaMath's strict rule: the rest of the line after the last ``The answer is``."""
    matches = list(_STRICT_RE.finditer(response))
    if not matches:
        return Extraction(None, "none")
    tail = _first_line(response[matches[-1].end() :])
    tail = tail.strip().rstrip(".").strip()
    tail = strip_math_delimiters(tail)
    return Extraction(tail or None, "prefix" if tail else "none")


def extract_answer(response: str) -> Extraction:
    """Best-effort final answer, falling back through the rules in the module docstring."""
    if not response or not response.strip():
        return Extraction(None, "none")
    phrases = list(_PHRASE_RE.finditer(response))
    boxes = list(_BOX_START_RE.finditer(response))
    # whichever comes last wins: "the answer is correct ... so \boxed{5}" means 5
    if phrases and not (boxes and boxes[-1].start() > phrases[-1].end()):
        tail = _first_line(response[phrases[-1].end() :])
        answer = clean_answer(tail)
        # "... \boxed{-5}. The answer is correct." : plain words lose to an earlier box
        words_only = answer and not re.search(r"[\d\\$^_=(){}\[\]]", answer)
        if answer and not (boxes and words_only):
            method = "prefix" if phrases[-1].group(0).startswith(ANSWER_LINE) else "phrase"
            return Extraction(answer, method)
    boxed = final_boxed(response)
    if boxed:
        return Extraction(boxed, "boxed")
    hashes = list(_HASH_RE.finditer(response))
    if hashes:
        answer = clean_answer(hashes[-1].group(1))
        if answer:
            return Extraction(answer, "gsm8k")
    lines = [line for line in response.strip().splitlines() if line.strip()]
    if lines:
        last_sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", lines[-1].strip())[-1]
        match = _STATEMENT_RE.match(last_sentence)
        if match:
            answer = clean_answer(match.group(1))
            if answer:
                return Extraction(answer, "statement")
        bold = re.fullmatch(r"\*\*([^*]{1,60})\*\*\.?", lines[-1].strip())  # "**73**"
        if bold:
            return Extraction(clean_answer(bold.group(1)), "statement")
        segments = _MATH_SEGMENT_RE.findall(last_sentence)
        if segments:
            answer = clean_answer(next(s for s in segments[-1] if s))
            if answer:
                return Extraction(answer, "statement")
    return Extraction(None, "none")


def _joins_boxes(gap: str) -> bool:
    """True when the text between two boxes only connects them ("$ and $", ", ", "\\quad")."""
    if len(gap) > 80 or _BOX_GAP_STOP_RE.search(gap):
        return False
    words = _BOX_GAP_NOISE_RE.sub(" ", gap).replace("=", " = ").split()
    others = [word for word in words if not _BOX_GAP_WORD_RE.fullmatch(word)]
    return len(others) <= MAX_BOX_GAP_OTHER_WORDS


def final_boxed(text: str) -> str | None:
    """The last ``\\boxed{}``, joined with the boxes just before it when only connecting words
    stand between them (``\\boxed{(2,2)} and \\boxed{(6,2)}`` -> ``(2,2), (6,2)``)."""
    spans = [span for span in boxed_spans(text) if span[0].strip()]
    if not spans:
        return None
    group = [spans[-1]]
    for span in reversed(spans[:-1]):
        if not _joins_boxes(text[span[2] : group[0][1]]):
            break
        group.insert(0, span)
    return ", ".join(content.strip() for content, _, _ in group)


def has_answer_line(response: str) -> bool:
    """True when the response ends its reasoning with a ``The answer is`` line (synthesis rule)."""
    return extract_strict(response).answer is not None
