"""The judge verifier with a judge that can judge: the deterministic teacher, grading with the
shared grader, served by ``skyray serve``'s Ray Serve engine (two replicas, 127.0.0.1) and asked
through the generation layer's OpenAI client. Every candidate gets a real Yes/No verdict, the
verdicts are the truth, and the verifier's selection beats a random subset of the same size."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from skyray.eval.verifier import VerifierConfig
from skyray.eval.verify_io import run_verify
from skyray.llm.generation import GenerationConfig, OpenAIConfig
from skyray.records import Problem

PAIRS = [(a, b) for a in range(3, 11) for b in (4, 9, 15)]  # 24 problems


def _problems() -> list[Problem]:
    return [
        Problem(id=f"p{i}", problem=f"Tom has {a} apples and buys {b} more. How many now?",
                answer=str(a + b), solution=f"{a} + {b} = {a + b}.")
        for i, (a, b) in enumerate(PAIRS)
    ]  # fmt: skip


def _candidates(problems: list[Problem]) -> list[dict]:
    """One candidate per problem: right on levels 1-3, wrong (off by one) on every second
    problem, which are the levels 4-5 ones: the verifier should keep the easy, right ones."""
    rows = []
    for i, p in enumerate(problems):
        wrong = i % 2 == 1
        value = int(p.answer) + (1 if wrong else 0)
        rows.append({
            "id": p.id, "question": p.problem, "level": 4 + i % 4 // 2 if wrong else 1 + i % 3,
            "response": f"We add the numbers: {p.solution.split('=')[0]}= {value}.\n"
                        f"The answer is {value}",
            "right": not wrong,
        })  # fmt: skip
    return rows


def test_served_deterministic_judge_selects_right_answers(ray_cluster, tmp_path):
    from skyray.data.seeds import write_problems
    from skyray.serve.server import ServeConfig, running_server

    problems = _problems()
    seeds = tmp_path / "seeds.parquet"
    write_problems(problems, seeds)
    rows = _candidates(problems)
    src = tmp_path / "candidates.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    serve_cfg = ServeConfig(
        backend="deterministic",
        engine="ray",
        seeds_path=str(seeds),
        model_name="judge",
        app_name="det-judge",
        route_prefix="/det-judge",
        num_replicas=2,
        port=0,
    )
    cfg = VerifierConfig(
        method="judge",
        generation=GenerationConfig(
            backend="openai",
            model="judge",
            openai=OpenAIConfig(base_url="http://unused", concurrency=4),
        ),
        batch_size=8,
        seed=7,
    )
    with running_server(serve_cfg) as base_url:
        cfg.generation.openai.base_url = base_url
        stats = run_verify(cfg, src, tmp_path / "out")

    scored = {r["id"]: r for r in pq.read_table(tmp_path / "out" / "scored.parquet").to_pylist()}
    assert len(scored) == len(rows) and stats["failed"] == 0
    for row in rows:  # a real verdict for every candidate, and the right one
        assert scored[row["id"]]["verifier_error"] is None
        assert scored[row["id"]]["verifier_score"] == (1.0 if row["right"] else 0.0)

    chosen = pq.read_table(tmp_path / "out" / "selected-verifier.parquet").to_pylist()
    baseline = pq.read_table(tmp_path / "out" / "selected-random.parquet").to_pylist()
    right = {r["id"] for r in rows if r["right"]}
    assert {r["id"] for r in chosen} == right and len(baseline) == len(chosen)

    def accuracy(selection):
        return sum(r["id"] in right for r in selection) / len(selection)

    assert accuracy(chosen) == 1.0 > accuracy(baseline)
    # the paper's selection bias: the verifier keeps the easy problems a random subset mixes in
    assert stats["verifier"]["mean_level"] < stats["random"]["mean_level"]
