"""The training problems a self-compare run answers, and their split into rounds.

Inputs are seeds (``Problem`` rows: ``problem``, ``answer``, ``solution``) or synthetic/curated
rows (``SyntheticSample``: ``question``, ``response``, ``gold``/``answer``, ``seed_id``), as
Parquet or JSONL files, folders of them, or step folders (``step-1-seeds`` -> ``seeds.parquet``,
``step-2-synth`` -> ``synthetic.parquet``, ``step-3-curate`` -> ``kept/``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STEP_FILES = ("seeds.parquet", "synthetic.parquet", "kept")


@dataclass(frozen=True)
class TrainProblem:
    id: str  # the row's id (seed id, or the synthetic sample's id)
    problem: str  # the question the model answers
    gold: str  # the gold final answer
    reference: str  # the correct reasoning shown to the teacher ("" when the row has none)
    seed_id: str  # lineage root: the seed problem this row descends from
    subject: str = ""
    level: int | None = None
    stage: int = 1  # curriculum stage carried into the samples


def input_files(paths: list[str]) -> list[Path]:
    """Parquet/JSONL files behind ``paths`` (files, folders, step folders), sorted per input."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"problems input not found: {path}")
        if path.is_dir():
            for name in STEP_FILES:  # a step folder: its output
                if (path / name).exists():
                    path = path / name
                    break
        if path.is_file():
            files.append(path)
            continue
        found = sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".jsonl"))
        if not found:
            raise FileNotFoundError(f"{path}: no Parquet or JSONL files")
        files.extend(found)
    return files


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if path.suffix == ".jsonl":
        from skyray.jsonl import iter_jsonl

        return [obj for _, obj in iter_jsonl(path)]
    raise ValueError(f"{path}: problems must be Parquet or JSONL")


def to_problem(row: dict[str, Any], where: str) -> TrainProblem:
    """One input row as a problem with its gold answer; ValueError names what is missing."""
    from skyray.math.grade import gold_from_solution

    text = row.get("problem") or row.get("question")
    if not text:
        raise ValueError(f"{where}: no 'problem' or 'question' column")
    reference = str(row.get("solution") or row.get("response") or "")
    gold = row.get("gold") or row.get("answer") or gold_from_solution(reference)
    if gold in (None, ""):
        raise ValueError(f"{where}: no gold answer ('answer', 'gold' or a solution holding it)")
    row_id = str(row.get("id") or where)
    level = row.get("level")
    return TrainProblem(
        id=row_id,
        problem=str(text),
        gold=str(gold),
        reference=reference,
        seed_id=str(row.get("seed_id") or row_id),
        subject=str(row.get("subject") or ""),
        level=level if isinstance(level, int) else None,
        stage=int(row.get("stage") or 1),
    )


def load_problems(paths: list[str]) -> tuple[list[TrainProblem], list[Path]]:
    """Every problem of ``paths`` (duplicates by id dropped) and the files read."""
    if not paths:
        raise ValueError("selfcompare needs training problems: set problems (or --problems)")
    files = input_files(paths)
    seen: dict[str, TrainProblem] = {}
    for path in files:
        for n, row in enumerate(_rows(path)):
            problem = to_problem(row, f"{path}:{n + 1}")
            seen.setdefault(problem.id, problem)
    if not seen:
        raise ValueError(f"no problems in {', '.join(map(str, files))}")
    return list(seen.values()), files


def split_rounds(
    problems: list[TrainProblem], num_rounds: int, split: str, seed: int, limit: int | None = None
) -> list[list[TrainProblem]]:
    """The problems of each round: a seeded shuffle (by id, so input order does not matter),
    cut to ``limit``, then ``num_rounds`` near-equal disjoint parts or all of them every round."""
    ordered = sorted(problems, key=lambda p: p.id)
    random.Random(f"selfcompare:{seed}").shuffle(ordered)
    if limit:
        ordered = ordered[:limit]
    if split == "all":
        return [list(ordered) for _ in range(num_rounds)]
    size, extra = divmod(len(ordered), num_rounds)
    parts, start = [], 0
    for k in range(num_rounds):
        end = start + size + (1 if k < extra else 0)
        parts.append(ordered[start:end])
        start = end
    if any(not part for part in parts):
        raise ValueError(f"{len(ordered)} problems cannot fill {num_rounds} disjoint rounds")
    return parts
