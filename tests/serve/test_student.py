"""The deterministic backend's SkyMath answers: the student (SFT prompts, with and without
progressive hints), self-compare and confirmation replies, and the self-verification rewrite."""

from __future__ import annotations

from collections import Counter

from skyray.data.benchmarks import load_benchmark
from skyray.math.grade import grade
from skyray.prompt import render_prompt
from skyray.records import Problem
from skyray.synth.backward import mask_number, sv_question
from skyray.synth.prompts import render
from skyray.testing.deterministic import DeterministicTeacher


def test_student_is_right_wrong_or_silent_and_hints_sway_it(data_dir):
    problems = load_benchmark("gsm8k-test", str(data_dir))[:64]
    student = DeterministicTeacher(problems)
    before, after = Counter(), Counter()
    for p in problems:
        first = grade(student.respond(render_prompt(p.problem), {}), p.answer, "equiv")
        hinted = f"{p.problem} (Hint: The answer is near to {first.extracted})."
        second = grade(student.respond(render_prompt(hinted), {}), p.answer, "equiv")
        state = "right" if first.correct else ("wrong" if first.extracted else "none")
        before[state] += 1
        if first.extracted:
            after[(first.correct, second.correct)] += 1
    assert before["right"] > before["wrong"] > 0 and before["none"] > 0
    assert after[(False, True)] > 0 and after[(True, False)] > 0  # hints flip both ways
    assert student.respond(render_prompt("What is 2 + 3?"), {}).endswith("The answer is 5")


def test_self_compare_reply_names_the_error_and_ends_with_the_gold():
    teacher = DeterministicTeacher([])
    fields = {
        "question": "Tom has 3 apples and buys 4 more. How many apples does he have?",
        "previous_answer": "8",
        "previous_response": "Tom has 3 apples.\nHe buys 4, so 3 + 4 = 8.\nThe answer is 8",
        "reference": "He has 3 + 4 = 7 apples.\nThe correct final answer is 7.",
    }
    reply = teacher.respond(render("selfcompare", **fields)[0], {})
    head, *_, last = reply.splitlines()
    assert head.startswith("Comparison:") and "concluded 8" in head and '"He buys 4' in head
    assert last == "The answer is 7" and "He has 3 + 4 = 7 apples." in reply
    silent = dict(fields, previous_answer="(no final answer)", previous_response="Tom has")
    assert "never reaches a final answer" in teacher.respond(render("selfcompare", **silent)[0], {})
    confirm = dict(fields, previous_answer="7")
    reply = teacher.respond(render("selfconfirm", **confirm)[0], {})
    assert "agrees with the correct reasoning" in reply and reply.endswith("The answer is 7")


def test_self_verification_rewrite_round_trips_to_the_masked_number():
    problem = "Tom has 3 apples and buys 4 more. How many apples does he have?"
    teacher = DeterministicTeacher([Problem(id="s", problem=problem, answer="7")])
    masked, value = mask_number(problem, 1)
    statement = teacher.respond(render("sv_rewrite", question=masked, answer="7")[0], {})
    assert "X" in statement and "?" not in statement.split('"')[-1] and "7" in statement
    solved = teacher.respond(render("solve", question=sv_question(statement))[0], {})
    assert value == "4" and solved.endswith("The answer is 4")
