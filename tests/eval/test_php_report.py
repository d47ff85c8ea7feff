"""Progressive-hint prompting in the report, on a run where hints change answers: the
deterministic student served over HTTP (``skyray serve``'s uvicorn engine) answers GSM8K test
problems; hints turn some wrong answers right and some right answers wrong."""

from __future__ import annotations

import json

import pytest

from skyray.config import load_config
from skyray.eval.hints import HintConfig, progressive_hints
from skyray.eval.run import EvalConfig, run_eval
from skyray.llm.generation import GenRequest
from skyray.prompt import render_prompt
from tests.eval.test_hints import ScriptedGenerator
from tests.serving import uvicorn_server


@pytest.fixture(scope="module")
def student(data_dir):
    yield from uvicorn_server(
        backend="deterministic", seed_sources=["gsm8k-test"], model_name="student"
    )


def test_php_report_adds_up_and_counts_flips_both_ways(tmp_path, student):
    cfg = load_config(
        EvalConfig,
        None,
        [
            "benchmarks=[gsm8k]",
            "limit=40",
            "hints.max_rounds=3",
            "generation.backend=openai",
            f"generation.openai.base_url={student}",
        ],
    )
    path = run_eval(cfg, tmp_path / "run", 5, "student")
    h = json.loads((path / "report.json").read_text())["benchmarks"]["gsm8k-test"]["hints"]
    rounds = h["per_round"]
    assert [r["round"] for r in rounds] == list(range(len(rounds))) and len(rounds) >= 2
    for r in rounds:
        assert r["right"] + r["wrong"] + r["no_answer"] == r["problems"] == 40
        assert r["accuracy"] == r["right"] / 40
    assert rounds[0]["asked"] == 40 and rounds[1]["asked"] < 40  # some stopped, some went on
    assert h["flips"]["wrong_to_right"] > 0 and h["flips"]["right_to_wrong"] > 0
    assert rounds[0]["right"] == h["before_hints"]["correct"]
    assert rounds[-1]["right"] == h["after_hints"]["correct"]
    net = h["flips"]["wrong_to_right"] - h["flips"]["right_to_wrong"]
    assert rounds[-1]["right"] - rounds[0]["right"] == net
    assert sum(h["rounds"].values()) == 40
    md = (path / "report.md").read_text()
    assert "| round | asked | right | wrong | no answer | accuracy (%) |" in md
    assert f"Hints turned {h['flips']['wrong_to_right']} wrong answers right" in md


@pytest.mark.parametrize(
    "rule,rounds,answers",
    [
        ("consecutive", 3, ["1", "2", "1", "1"]),
        ("any-repeat", 2, ["1", "2", "1"]),
        ("never", 4, ["1", "2", "1", "1", "1"]),
    ],
)
def test_stop_rules_and_hint_template(rule, rounds, answers):
    script = {
        ("Q", ""): "1",
        ("Q", "1"): "2",
        ("Q", "1, 2"): "1",
        ("Q", "1, 2, 1"): "1",
        ("Q", "1, 2, 1, 1"): "1",
    }
    gen = ScriptedGenerator(script)
    reqs = [GenRequest("0:0", render_prompt("Q"))]
    cfg = HintConfig(max_rounds=4, max_hints=4, stop_rule=rule)
    _, traces = progressive_hints(gen, ["Q"], reqs, gen.generate(reqs), cfg)
    assert traces[0].rounds == rounds and traces[0].answers == answers
    assert len(traces[0].responses) == rounds + 1


def test_hint_template_is_configurable():
    with pytest.raises(ValueError, match="hint_template"):
        HintConfig(hint_template="(Hint: no placeholder)")
    from skyray.eval.hints import hinted_question

    assert hinted_question("Q?", ["3"], 2, "[earlier answers: {hints}]") == (
        "Q? [earlier answers: 3]"
    )
