"""The deterministic teacher's answers to the synthesis prompts (no server needed)."""

from __future__ import annotations

import pytest

from skyray.records import Problem
from skyray.serve.protocol import handle
from skyray.synth.backward import make_backward, parse_backward
from skyray.synth.prompts import match, render, templates
from skyray.testing.deterministic import DeterministicTeacher, strip_phrases

SEED = Problem(
    id="s1",
    problem="Tom has 3 apples and buys 4 more. How many apples does he have?",
    answer="7",
    solution="He has 3 + 4 = 7 apples. So the answer is $\\boxed{7}$.",
)


@pytest.fixture()
def teacher():
    return DeterministicTeacher([SEED])


def ask(teacher, name, **fields):
    return teacher.respond(render(name, **fields)[0], {"seed": 0})


def test_every_template_round_trips_through_match():
    for version, template in templates().items():
        values = {f: f"text for {f}\nwith {{braces}} and $x^2$" for f in template.fields}
        found = match(template.render(**values))
        assert found is not None and found[0].version == version
        assert found[1] == {k: v.strip() for k, v in values.items()}


def test_solution_ends_with_the_seed_answer(teacher):
    reply = ask(teacher, "solve", question=SEED.problem)
    assert reply.endswith("\nThe answer is 7") and "3 + 4 = 7" in reply


def test_rewrites_keep_the_answer_and_a_repeat_is_a_copy(teacher):
    evolved = ask(teacher, "evol_constraints", question=SEED.problem)
    assert evolved != SEED.problem and strip_phrases(evolved) == SEED.problem
    assert ask(teacher, "evol_constraints", question=evolved) == evolved  # nothing new to add
    twice = ask(teacher, "evol_concretize", question=ask(teacher, "rephrase", question=evolved))
    assert ask(teacher, "solve", question=twice).endswith("The answer is 7")


def test_backward_questions_answer_the_masked_number(teacher):
    for kind, choice, value in (("fobar", 0, "3"), ("sv", 1, "4")):
        backward = make_backward(SEED.problem, "7", kind, choice)
        assert backward is not None and backward.value == value
        assert parse_backward(backward.question) == (kind, backward.masked, "7")
        assert ask(teacher, "solve", question=backward.question).endswith(f"The answer is {value}")


def test_xwin_verification_and_arithmetic(teacher):
    from skyray.synth.xwin import parse_verdict

    questions = [f"Problem number {i} asks for a sum." for i in range(40)]
    verdicts = [parse_verdict(ask(teacher, "xwin_verify", question=q)) for q in questions]
    assert set(verdicts) == {"CORRECT", "FLAWED"}
    fixed = ask(teacher, "xwin_correct", question="Find x.", review="Verdict: FLAWED")
    assert ask(teacher, "xwin_verify", question=fixed).endswith("Verdict: CORRECT")
    assert teacher.respond("What is 2 + 3*4?", {}).endswith("The answer is 14")


def test_protocol_errors_and_choices(teacher):
    assert handle(teacher, "chat", {"model": "other", "messages": []})[0] == 404
    assert handle(teacher, "chat", {"model": "deterministic", "messages": "hi"})[0] == 400
    assert handle(teacher, "completions", {"model": "deterministic", "prompt": 3})[0] == 400
    status, body = handle(
        teacher,
        "completions",
        {"model": "deterministic", "prompt": "What is 1+1?", "n": 2, "max_tokens": 64},
    )
    assert status == 200 and [c["index"] for c in body["choices"]] == [0, 1]
    assert body["choices"][0]["text"].endswith("The answer is 2")
    assert (
        body["usage"]["total_tokens"]
        == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
