"""SkyMath/MetaMath pieces of synthesis: self-verification as a teacher rewrite (its own prompt,
answered by the deterministic teacher over real HTTP), FOBAR unchanged, PHP-style twins, and the
shipped SkyMath config."""

from __future__ import annotations

import pyarrow.parquet as pq

from skyray.config import load_config, load_stage_config
from skyray.data.seeds import read_problems
from skyray.llm import OpenAITeacher, TeacherConfig, run_sync
from skyray.synth.backward import FOBAR_SUFFIX, SV_ASK
from skyray.synth.config import SynthConfig
from skyray.synth.context import OpContext, Task
from skyray.synth.metamath import run_metamath
from skyray.synth.php import PHPSamplesConfig, near_miss, php_samples
from skyray.synth.pipeline import run_synth


def _metamath(seeds_path, teacher_url, method: str):
    teacher = OpenAITeacher(TeacherConfig(base_url=teacher_url, model="deterministic"))
    ctx = OpContext(teacher, {"temperature": 0.7, "max_tokens": 1024})
    results = []
    for i, seed in enumerate(read_problems(seeds_path)[:8]):
        task = Task(i, seed, seed.id, "", "metamath", (method,), 0, 1)
        results.append(run_sync(run_metamath(task, ctx)))
    return [s for r in results for s in r.samples], [r.drops for r in results]


def test_self_verification_is_a_teacher_rewrite(seeds_path, teacher_url):
    samples, _ = _metamath(seeds_path, teacher_url, "sv")
    assert samples
    for s in samples:
        assert s.operator == "metamath.sv" and s.template_version == "sv_rewrite.v1+solve.v1"
        statement = s.question.removesuffix(SV_ASK)
        assert statement != s.question and "X" in statement
        assert "The answer to the question above is" not in s.question  # not the fixed sentence
        assert "The answer to the question" in statement  # the deterministic declarative rewrite
        assert s.response.endswith(f"The answer is {s.gold}") and s.answer == s.gold
        assert s.prompt_tokens > 0  # rewrite + solve


def test_fobar_is_unchanged(seeds_path, teacher_url):
    samples, _ = _metamath(seeds_path, teacher_url, "fobar")
    assert samples and all(s.template_version == "solve.v1" for s in samples)
    tail = FOBAR_SUFFIX.split("{answer}")[1]
    assert all(s.question.endswith(tail) and s.answer == s.gold for s in samples)


def test_php_twins_carry_earlier_answers_as_hints(tmp_path, seeds_path, teacher_url):
    cfg = load_config(
        SynthConfig,
        None,
        [
            f"teacher.base_url={teacher_url}",
            "stages=[1]",
            "num_seed_synthetic=12",
            "num_normal=0",
            "mix.metamath=1",
            "mix.evol=0",
            "mix.xwin=0",
            "php.ratio=1.0",
        ],
    )
    path = run_synth(cfg, tmp_path / "run", 2, seeds_path)
    rows = pq.read_table(path / "synthetic.parquet").to_pylist()
    parents = {r["id"]: r for r in rows if r["operator"] != "php"}
    twins = [r for r in rows if r["operator"] == "php"]
    assert len(parents) == 12 and len(twins) == 12 and len({r["id"] for r in rows}) == 24
    for t in twins:
        parent = parents[t["parent_id"]]
        hint = t["question"].removeprefix(parent["question"])
        assert hint.startswith(" (Hint: The answer is near to " + near_miss(parent["answer"]))
        assert t["response"] == parent["response"] and t["gold"] == (parent["gold"] or t["answer"])
        assert t["seed_id"] == parent["seed_id"] and t["template_version"].endswith("+php")
    both = sum(t["question"].endswith(f", {t['answer']}).") for t in twins)
    assert 0 < both < 12  # some hints converge on the answer, some only hold a near miss


def test_php_ratio_off_adds_nothing():
    assert php_samples([], PHPSamplesConfig(ratio=1.0)) == []
    assert near_miss("41") == "42" and near_miss("\\frac{1}{2}") == "\\frac{1}{2}+1"


def test_skymath_config_expresses_boosting_with_evol_operators():
    cfg = load_stage_config("configs/paper/synth-skymath.yaml")
    assert set(cfg.evol.strategies) == {"concretize", "constraints", "deepen"}
    assert set(cfg.mix.metamath_ops) == {"rephrase"} and cfg.mix.xwin == 0
    assert cfg.mix.evol > cfg.mix.metamath and cfg.php.ratio > 0
    seeds = load_stage_config("configs/paper/seeds-skymath.yaml")
    assert {"gsm8k-train", "math-train"} <= set(seeds.sources)
