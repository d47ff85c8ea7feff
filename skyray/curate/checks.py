"""Step 1, format checks: pure per-row filters that return ``(reason, detail)`` or ``None``.

Reasons are short, countable categories (``format:no-answer-line``); the detail says what was
seen so a person can judge the drop without opening the input.
"""

from __future__ import annotations

from typing import Any

from skyray.curate.config import FormatConfig

Verdict = tuple[str, str] | None


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_fields(row: dict[str, Any]) -> Verdict:
    """question and response must be strings (a null or a number is a parse failure)."""
    for name in ("question", "response"):
        value = row.get(name)
        if value is None:
            return f"format:null-{name}", f"{name} is null"
        if not isinstance(value, str):
            return f"format:bad-{name}", f"{name} is a {type(value).__name__}, not a string"
    return None


def check_lengths(row: dict[str, Any], cfg: FormatConfig) -> Verdict:
    for name, lo, hi in (
        ("question", cfg.min_question_chars, cfg.max_question_chars),
        ("response", cfg.min_response_chars, cfg.max_response_chars),
    ):
        size = len(row[name].strip())
        if not lo <= size <= hi:
            return f"format:{name}-length", f"{name} has {size} characters, bounds are [{lo}, {hi}]"
    return None


def check_answer_line(row: dict[str, Any], cfg: FormatConfig) -> Verdict:
    from skyray.math.extract import has_answer_line

    if cfg.require_answer_line and not has_answer_line(row["response"]):
        tail = row["response"].strip().splitlines()[-1] if row["response"].strip() else ""
        return "format:no-answer-line", f"no 'The answer is' line; last line: {_shorten(tail)!r}"
    return None


def check_answer(row: dict[str, Any], cfg: FormatConfig) -> Verdict:
    """Where the method kept the seed's answer (``gold`` set), the response must reach it."""
    from skyray.math.grade import grade

    gold = row.get("gold")
    if not cfg.check_answer or gold is None or not str(gold).strip():
        return None
    verdict = grade(row["response"], str(gold), mode=cfg.grader, timeout_s=cfg.grader_timeout_s)
    if verdict.correct:
        return None
    return (
        "answer:mismatch",
        f"extracted {verdict.extracted!r} ({verdict.method}), gold {str(gold)!r}",
    )
