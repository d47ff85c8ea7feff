"""Progressive-hint prompting: the round logic on a scripted generator (unit level), and the
option end to end through run_eval on the tiny model."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq

from skyray.config import load_config
from skyray.eval.hints import HintConfig, hinted_question, progressive_hints
from skyray.eval.run import EvalConfig, run_eval
from skyray.llm.generation import GenRequest, GenResult
from skyray.prompt import render_prompt


class ScriptedGenerator:
    """Answers from a script keyed by (question, hints seen): a stand-in model for the loop."""

    name = "scripted"

    def __init__(self, script):
        self.script = script
        self.prompts: list[str] = []

    def generate(self, requests):
        out = []
        for req in requests:
            self.prompts.append(req.prompt)
            match = re.search(r"\(Hint: The answer is near to (.*)\)\.", req.prompt)
            hints = match.group(1) if match else ""
            question = (
                req.prompt.split("### Instruction:\n", 1)[1].split(" (Hint")[0].split("\n")[0]
            )
            answer = self.script[(question, hints)]
            if answer == "ERROR":
                out.append(GenResult(req.key, error="api: HTTP 500: boom"))
            else:
                out.append(GenResult(req.key, f"The answer is {answer}", None, 10, 5))
        return out

    def close(self):
        pass


def test_rounds_stop_when_answers_repeat():
    script = {
        ("Q1", ""): "10",
        ("Q1", "10"): "12",
        ("Q1", "10, 12"): "12",  # repeats: stop after round 2
        ("Q2", ""): "7",
        ("Q2", "7"): "7",  # repeats at once: one round
        ("Q3", ""): "3",
        ("Q3", "3"): "ERROR",  # failure: keep the round-0 answer
        ("Q4", ""): "no answer here",
    }
    questions = ["Q1", "Q2", "Q3", "Q4"]
    gen = ScriptedGenerator(script)
    requests = [GenRequest(f"{i}:0", render_prompt(q)) for i, q in enumerate(questions)]
    first = gen.generate(requests)
    first[3] = GenResult("3:0", "I do not know")  # nothing to extract: never re-asked
    results, traces = progressive_hints(gen, questions, requests, first, HintConfig(max_rounds=4))
    assert [t.rounds for t in traces] == [2, 1, 0, 0]
    assert traces[0].answers == ["10", "12", "12"]
    assert results[0].text == "The answer is 12" and results[0].completion_tokens == 15
    assert results[2].text == "The answer is 3" and results[2].error is None
    assert traces[0].first.text == "The answer is 10"
    assert len(gen.prompts) == 4 + 3 + 1  # round 0, round 1 (Q1-Q3), round 2 (Q1)


def test_hint_text_and_max_rounds():
    assert (
        hinted_question("Q?", ["1", "2", "3", "4"], 3)
        == "Q? (Hint: The answer is near to 2, 3, 4)."
    )
    script = {("Q", ""): "1", ("Q", "1"): "2", ("Q", "1, 2"): "3"}
    gen = ScriptedGenerator(script)
    reqs = [GenRequest("0:0", render_prompt("Q"))]
    _, traces = progressive_hints(gen, ["Q"], reqs, gen.generate(reqs), HintConfig(max_rounds=2))
    assert traces[0].rounds == 2 and traces[0].answers == ["1", "2", "3"]


def test_run_eval_with_hints(tmp_path, tiny_model_dir, data_dir):
    cfg = load_config(
        EvalConfig,
        None,
        [
            'benchmarks=["gsm8k"]',
            "limit=3",
            "hints.max_rounds=2",
            "generation.sampling.max_new_tokens=4",
        ],
    )
    path = run_eval(cfg, tmp_path / "run", 5, tiny_model_dir)
    rows = pq.read_table(path / "predictions.parquet").to_pylist()
    assert all(r["first_response"] is not None and r["correct_first"] is not None for r in rows)
    assert all(len(json.loads(r["hint_answers"])) == r["hint_rounds"] + 1 for r in rows)
    hints = json.loads((path / "report.json").read_text())["benchmarks"]["gsm8k-test"]["hints"]
    assert sum(hints["rounds"].values()) == 3 and hints["before_hints"]["n"] == 3
    assert "progressive-hint prompting" in (path / "report.md").read_text()
