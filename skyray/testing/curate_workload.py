"""Realistic curation workloads for tests and ``bench/``: synthetic-sample rows built from MATH
and GSM8K **train** text (about ``target_tokens`` words each), with planted exact duplicates
(case and whitespace variants), near duplicates (word edits) and test-set leaks (benchmark
questions or solutions copied whole or embedded in longer text). Deterministic for a seed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STOCK_PHRASE = "Let $x$ and $y$ be nonzero real numbers such that"


@dataclass
class Workload:
    rows: list[dict[str, Any]]
    leaks: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # row id -> (benchmark, item id)
    exact_of: dict[str, str] = field(default_factory=dict)  # row id -> id of the row it copies
    near_of: dict[str, str] = field(default_factory=dict)  # row id -> id of the row it edits

    def write_jsonl(self, path: str | Path) -> Path:
        path = Path(path)
        with path.open("w", encoding="utf-8") as handle:
            for row in self.rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        return path


def _train_texts(data_dir: Path) -> tuple[list[str], list[str]]:
    questions, solutions = [], []
    for line in (data_dir / "MATH" / "train.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        questions.append(row["problem"])
        solutions.append(row["solution"])
    for line in (data_dir / "gsm8k" / "train.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        questions.append(row["question"])
        solutions.append(row["answer"].split("####")[0].strip())
    return questions, solutions


def _edit(text: str, rate: float, rng: random.Random) -> str:
    """Replace, drop or insert words at ``rate`` (never in the final answer line)."""
    body, sep, tail = text.rpartition("\nThe answer is")
    words = body.split(" ")
    out = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            out.append(f"w{rng.randrange(10**6)}")
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out.extend([word, f"v{rng.randrange(10**6)}"])
        else:
            out.append(word)
    return " ".join(out) + sep + tail


def _case_space_variant(text: str, rng: random.Random) -> str:
    body, sep, tail = text.rpartition("\nThe answer is")
    body = body.upper() if rng.random() < 0.5 else body.lower()
    body = "  " + body.replace(" ", "   ").replace("\n", " \n\t ") + " "
    return body + sep + tail


def make_workload(
    data_dir: str | Path,
    num_rows: int,
    *,
    seed: int = 0,
    target_tokens: int = 450,
    exact_rate: float = 0.05,
    near_rate: float = 0.10,
    leak_rate: float = 0.01,
    benchmarks: tuple[str, ...] = ("gsm8k-test", "math-test"),
) -> Workload:
    """``num_rows`` rows: unique samples plus the planted duplicates and leaks."""
    from skyray.data.benchmarks import load_benchmark

    rng = random.Random(seed)
    questions, solutions = _train_texts(Path(data_dir))
    items = [(name, p) for name in benchmarks for p in load_benchmark(name, str(data_dir))]
    work = Workload(rows=[])
    base: list[dict[str, Any]] = []
    while len(work.rows) < num_rows:
        roll = rng.random()
        n = len(work.rows)
        if base and roll < exact_rate:
            src = rng.choice(base)
            row = {
                **src,
                "id": f"syn-{n:07d}",
                "response": _case_space_variant(src["response"], rng),
            }
            work.exact_of[row["id"]] = src["id"]
        elif base and roll < exact_rate + near_rate:
            src = rng.choice(base)
            # mostly light edits, some heavier: similarity spreads from ~1.0 down to ~0.5
            rate = (
                rng.choice([0.005, 0.01, 0.02, 0.03])
                if rng.random() < 0.8
                else rng.uniform(0.04, 0.15)
            )
            row = {**src, "id": f"syn-{n:07d}", "response": _edit(src["response"], rate, rng)}
            work.near_of[row["id"]] = src["id"]
        else:
            k = rng.randrange(len(questions))
            parts, size = [], 0
            while size < target_tokens:
                part = solutions[rng.randrange(len(solutions))]
                parts.append(part)
                size += len(part.split())
            answer = rng.randrange(1000)
            row = {
                "id": f"syn-{n:07d}",
                "question": questions[k],
                "response": "\n".join(parts) + f"\nThe answer is {answer}",
                "seed_id": f"seed-{k}",
                "operator": rng.choice(["metamath.rephrase", "evol.deepen", "xwin"]),
                "gold": None,
            }
            if rng.random() < leak_rate:
                name, item = rng.choice(items)
                text = item.problem if rng.random() < 0.5 or not item.solution else item.solution
                column = rng.choice(["question", "response"])
                embed = rng.random() < 0.5
                if len(text.split()) < 12:  # tiny items are caught as whole questions only
                    column, embed = "question", False
                if embed:
                    row[column] = row[column] + "\n" + text + " " + row[column][:200]
                elif column == "question":
                    row[column] = text
                else:
                    row[column] = text + f"\nThe answer is {answer}"
                work.leaks[row["id"]] = (name, item.id)
            else:
                base.append(row)
        work.rows.append(row)
    return work
