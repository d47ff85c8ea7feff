"""Does the student do the sums? The arithmetic lines of its responses checked one by one.

A world solution writes every step as ``a op b = c`` (``op`` one of ``+ - * / %``). Accuracy on
the final answer can rise without them (the answer line's format and a plausible number are
enough to hit small answers such as remainders by chance), so the summary also states how many
of the lines the model wrote are right, and how many correct answers have every line right.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

LINE = re.compile(r"(\d+) ([-+*/%]) (\d+) = (\d+)")


def line_right(a: int, op: str, b: int, c: int) -> bool:
    if op == "+":
        return a + b == c
    if op == "-":
        return a - b == c
    if op == "*":
        return a * b == c
    if b == 0:
        return False
    return (a // b if op == "/" else a % b) == c and (op != "/" or a % b == 0)


@dataclass
class LineCheck:
    lines: int = 0  # arithmetic lines written
    right: int = 0  # of them, right
    correct: int = 0  # responses graded correct
    correct_all_lines: int = 0  # of them, with at least one line and every line right

    def describe(self) -> str:
        share = f" ({100 * self.right / self.lines:.1f}%)" if self.lines else ""
        return (
            f"{self.right}/{self.lines} lines right{share}, "
            f"{self.correct_all_lines}/{self.correct} correct answers with every line right"
        )


def check_response(text: str) -> tuple[int, int]:
    """(lines, right lines) of one response."""
    found = LINE.findall(text)
    right = sum(line_right(int(a), op, int(b), int(c)) for a, op, b, c in found)
    return len(found), right


def check_predictions(path: Path, grader: str = "strict") -> LineCheck:
    """Every response of an eval step's ``predictions.jsonl``."""
    out = LineCheck()
    for raw in Path(path).read_text().splitlines():
        row = json.loads(raw)
        lines, right = check_response(row.get("response") or "")
        out.lines += lines
        out.right += right
        if row.get(f"correct_{grader}"):
            out.correct += 1
            out.correct_all_lines += int(lines > 0 and right == lines)
    return out
