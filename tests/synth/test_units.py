"""Pure cores of the synthesis stage: planning, parsing, elimination, core-set, cache keys."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from skyray.config import load_config
from skyray.llm import Usage
from skyray.llm.cache import ResponseCache, request_key
from skyray.records import Problem
from skyray.synth.config import SynthConfig
from skyray.synth.context import clean_question
from skyray.synth.coreset import coverage_radius, hash_embed, k_center_greedy, select_coreset
from skyray.synth.evol import eliminate
from skyray.synth.final_line import canonical_final_line
from skyray.synth.prompts import get_template, render
from skyray.synth.tasks import TaskPlanner
from skyray.synth.xwin import parse_verdict

PROBLEMS = [
    Problem(
        id=f"p{i}", problem=f"What is {i} plus {i + 1}?", answer=str(2 * i + 1), level=1 + i % 5
    )
    for i in range(20)
]


def test_planner_is_deterministic_and_follows_the_mix():
    cfg = load_config(SynthConfig, None, ["mix.metamath=1", "mix.evol=2", "mix.xwin=1"])
    a = [TaskPlanner(PROBLEMS, cfg, 1, "1a").task(i) for i in range(2000)]
    b = [TaskPlanner(list(reversed(PROBLEMS)), cfg, 1, "1a").task(i) for i in range(2000)]
    assert a == b  # input order does not matter
    families = Counter(t.family for t in a)
    assert abs(families["evol"] / 2000 - 0.5) < 0.05 and abs(families["xwin"] / 2000 - 0.25) < 0.05
    assert {len(t.ops) for t in a if t.family == "evol"} == {1, 2, 3, 4, 5}
    assert Counter(t.seed.id for t in a[:20]) == Counter(p.id for p in PROBLEMS)  # round robin
    assert a[25].sample_index == 1
    other = [TaskPlanner(PROBLEMS, cfg, 1, "1b").task(i) for i in range(50)]
    assert [t.family for t in other] != [t.family for t in a[:50]]


def test_config_validation():
    with pytest.raises(ValueError, match="evol.strategies"):
        load_config(SynthConfig, None, ["evol.strategies=[invent]"])
    with pytest.raises(ValueError, match="stages"):
        load_config(SynthConfig, None, ["stages=[3]"])
    with pytest.raises(ValueError, match="metamath_ops"):
        load_config(SynthConfig, None, ["mix.metamath_ops={guess: 1}"])


def test_final_line_and_clean_question():
    final = canonical_final_line("Add them: 3.\nThe answer is 3.\nHope this helps!", None)
    assert (final.response, final.answer) == ("Add them: 3.\nThe answer is 3", "3")
    assert canonical_final_line("So it is 3.", None).edit == "parse:no-answer-line"
    assert canonical_final_line("The answer is 3", None).edit == "parse:no-steps"
    assert clean_question("#Rewritten Problem#: Find the sum of 2 and 3.") == (
        "Find the sum of 2 and 3.",
        "",
    )
    assert clean_question("I'm sorry, I can't do that.")[1] == "refusal"
    assert clean_question("Why?")[1] == "lost-question"
    assert clean_question("  ")[1] == "empty"


def test_evol_elimination_and_xwin_verdicts():
    parent = "Find the sum of 2 and 3."
    assert eliminate(parent, "find the sum of  2 and 3.") == "copied-parent"
    assert (
        eliminate(parent, "#Rewritten Problem#: Find the sum of 2, 3 and 4.")
        == "copied-prompt-words"
    )
    assert eliminate(parent, "Find the sum of 2, 3 and 4.") is None
    assert parse_verdict("Step 1 ok.\nVerdict: FLAWED") == "FLAWED"
    assert parse_verdict("Verdict: flawed ... after fixing, Verdict: **CORRECT**") == "CORRECT"
    assert parse_verdict("looks fine") is None


def test_k_center_greedy_covers_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    x = np.concatenate([c + rng.normal(0, 0.3, size=(50, 2)) for c in centres])
    chosen, radius = k_center_greedy(x, 4)
    assert sorted({int(i) // 50 for i in chosen}) == [0, 1, 2, 3]  # one per cluster
    assert radius == pytest.approx(coverage_radius(x, chosen)) and radius < 2.0
    assert k_center_greedy(x, 4) == (chosen, radius)


def test_select_coreset_reports_coverage():
    from skyray.synth.config import CoresetConfig

    problems = [
        Problem(
            id=f"q{i}",
            problem=f"{topic} question {i} about {topic}",
            answer="1",
            subject=topic,
            level=1 + i % 5,
        )
        for i, topic in enumerate(["geometry", "algebra", "counting"] * 10)
    ]
    cfg = CoresetConfig(size=6, embedder="hash", use_ray=False)
    selected, report = select_coreset(problems, cfg)
    assert len(selected) == 6 and report["pool"] == 30
    assert set(report["after"]["subject"]) == {"geometry", "algebra", "counting"}
    assert sum(report["before"]["level"].values()) == 30
    assert report["coverage_radius"] <= report["random_subset_radius"]
    assert np.allclose(np.linalg.norm(hash_embed(["a b", "c"]), axis=1), 1.0)


def test_cache_key_and_store(tmp_path):
    msgs = [{"role": "user", "content": "hi"}]
    assert request_key("m", msgs, {"temperature": 0.7, "seed": 1}) == request_key(
        "m", msgs, {"seed": 1, "temperature": 0.7}
    )
    assert request_key("m", msgs, {"seed": 1}) != request_key("m", msgs, {"seed": 2})
    cache = ResponseCache(tmp_path / "cache")
    cache.put("k", {"text": "x"})
    assert ResponseCache(tmp_path / "cache").get("k") == {"text": "x"} and len(cache) == 1


def test_usage_merge_and_prompt_versions():
    a, b = (
        Usage(requests=2, errors={"timeout": 1}),
        Usage(requests=3, errors={"timeout": 2, "http-429": 1}),
    )
    a.merge(b)
    assert a.requests == 5 and a.errors == {"timeout": 3, "http-429": 1}
    assert get_template("solve").version == "solve.v1"
    assert render("rephrase", question="Q?")[1] == "rephrase.v1"
    with pytest.raises(ValueError, match="needs field"):
        get_template("xwin_correct").render(question="Q")


def test_ray_data_llm_rows_round_trip():
    from skyray.llm.vllm_batch import from_engine_row, to_engine_row

    row = to_engine_row(
        {
            "key": "k",
            "messages": [{"role": "user", "content": "hi"}],
            "sampling": {"temperature": 0.7, "seed": 3},
        }
    )
    assert row["sampling_params"] == {
        "temperature": 0.7,
        "top_p": 1.0,
        "max_tokens": 1024,
        "seed": 3,
    }
    out = from_engine_row(
        {"key": "k", "generated_text": "t", "num_input_tokens": 4, "num_generated_tokens": 1}
    )
    assert out == {
        "key": "k",
        "text": "t",
        "prompt_tokens": 4,
        "completion_tokens": 1,
        "finish_reason": "stop",
    }


@pytest.mark.gpu
def test_prefill_cache_with_vllm(tmp_path, tiny_model_dir, ray_cluster):
    from skyray.llm.vllm_batch import prefill_cache

    cache = ResponseCache(tmp_path / "cache")
    reqs = [([{"role": "user", "content": "What is 2+2?"}], {"temperature": 0.0, "max_tokens": 8})]
    assert prefill_cache(cache, "tiny", str(tiny_model_dir), reqs) == 1
    assert prefill_cache(cache, "tiny", str(tiny_model_dir), reqs) == 0


def test_local_rate_limiter_waits_for_tokens():
    import asyncio
    import time

    from skyray.llm.ratelimit import LocalRateLimiter

    limiter = LocalRateLimiter(rpm=0, tpm=600)  # 10 tokens/s, burst 600

    async def run():
        await limiter.acquire(600)
        await limiter.acquire(5)

    start = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - start >= 0.45


def test_xwin_corrects_flawed_questions_or_drops_them():
    import asyncio

    from skyray.llm import LocalTeacher
    from skyray.synth.context import OpContext, Task
    from skyray.synth.xwin import run_xwin
    from skyray.testing.deterministic import XWIN_FIX, DeterministicTeacher

    teacher = LocalTeacher(DeterministicTeacher(PROBLEMS))
    ctx = OpContext(teacher, {"temperature": 0.7, "top_p": 1.0, "max_tokens": 1024})
    tasks = [Task(index=i, seed=p, root_id=p.id, parent_id="", family="xwin", ops=("xwin",),
                  sample_index=0, stage=1) for i, p in enumerate(PROBLEMS)]  # fmt: skip

    async def run(corrections):
        return await asyncio.gather(*(run_xwin(t, ctx, corrections) for t in tasks))

    strict, lenient = asyncio.run(run(0)), asyncio.run(run(1))
    dropped = [r.index for r in strict if r.drops["xwin:still-flawed"]]
    assert 0 < len(dropped) < len(PROBLEMS)
    for i in dropped:  # with one correction round they become valid samples of the fixed question
        (sample,) = lenient[i].samples
        assert sample.question.endswith(XWIN_FIX.strip()) and sample.operator == "xwin"
        assert sample.answer == PROBLEMS[i].answer
