"""Small LaTeX helpers: balanced-brace scanning and ``\\boxed{}`` extraction."""

from __future__ import annotations

import re

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\s*")


def braced_group(text: str, start: int) -> tuple[str, int] | None:
    """If ``text[start]`` is ``{``, return (content, index after the closing brace)."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "\\":
            continue
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    return None


def boxed_spans(text: str) -> list[tuple[str, int, int]]:
    """(content, start, end) of every ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces
    handled), in order. Also accepts the brace-less form ``\\boxed 5``."""
    found = []
    for match in _BOX_RE.finditer(text):
        group = braced_group(text, match.end())
        if group is not None:
            found.append((group[0], match.start(), group[1]))
        elif match.group(0) != match.group(0).rstrip():  # "\boxed 5": the next token
            token = re.match(r"[^\s$]+", text[match.end() :])
            if token:
                end = match.end() + token.end()
                found.append((token.group(0).rstrip(".,"), match.start(), end))
    return found


def all_boxed(text: str) -> list[str]:
    """Contents of every ``\\boxed{...}`` / ``\\fbox{...}``, in order."""
    return [content for content, _, _ in boxed_spans(text)]


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{}`` in ``text``, or None."""
    boxes = all_boxed(text)
    return boxes[-1] if boxes else None


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside any (), [], {} nesting."""
    parts, depth, current = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def strip_math_delimiters(text: str) -> str:
    """Remove surrounding ``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``."""
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if (
                len(text) >= len(left) + len(right)
                and text.startswith(left)
                and text.endswith(right)
            ):
                text = text[len(left) : len(text) - len(right)].strip()
                changed = True
    return text
