"""Every kept synthetic response ends with ``The answer is X`` that the paper's grader reads back
as the gold; chatty openings leave generated questions; each case is counted."""

import asyncio

import pytest

from skyray.math.extract import extract_strict
from skyray.math.grade import grade
from skyray.records import Problem
from skyray.synth.final_line import canonical_final_line, strip_chatty_opening

REWRITES = [
    ("Add 2 and 3 to get 5.\nTherefore, the answer is 5.", "5", "5", "final-line:rewritten"),
    ("Add 2 and 3 to get 5.\n**The answer is 5**", "5", "5", "final-line:rewritten"),
    ("She pays 3 times 6.\nThe answer is $\\boxed{18}$", "18", "18", "final-line:rewritten"),
    ("She pays 3 times 6.\nThe answer is 18 dollars", "18", "18", "final-line:rewritten"),
    ("She pays 3 times 6.\nThe answer is: 18.", "18", "18", "final-line:rewritten"),
    ("So x = 2. Hence the answer is \\boxed{2}.\nI hope this helps!", "2", "2", "final-line:rewritten"),
    ("Compute 3 + 4.\n**Answer:** 7", "7", "7", "final-line:rewritten"),
    ("Compute 3 + 4.\nFinal Answer: The final answer is $7$. I hope it is correct.", "7", "7",
     "final-line:rewritten"),
    ("Half of one.\nThe answer is 0.5", "\\frac{1}{2}", "0.5", "final-line:canonical"),
    ("Simplify.\nThe answer is $\\dfrac{6}{8}$", "\\frac{3}{4}", "\\frac{3}{4}", "final-line:gold-form"),
    ("Six eighths.\nThe answer is 18", "18", "18", "final-line:canonical"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "gold", "x", "edit"), REWRITES)
def test_final_line_is_rewritten_so_strict_reads_the_gold(text, gold, x, edit):
    final = canonical_final_line(text, gold)
    assert (final.answer, final.edit) == (x, edit)
    assert final.response.splitlines()[-1] == f"The answer is {x}"
    assert extract_strict(final.response).answer == x
    assert grade(final.response, gold, "strict").correct


@pytest.mark.parametrize(
    ("text", "gold", "reason"),
    [
        ("Add them.\nThe answer is 6", "5", "answer-mismatch"),
        ("Add them, it is 5.", "5", "parse:no-answer-line"),
        ("The answer is 5", "5", "parse:no-steps"),
        ("Add them.\nThe answer is $$", "5", "parse:empty-answer"),
    ],
)
def test_unusable_final_lines_are_dropped_with_a_reason(text, gold, reason):
    final = canonical_final_line(text, gold)
    assert final.response is None and final.edit == reason


def test_without_a_gold_the_extracted_answer_is_kept_readable():
    final = canonical_final_line("Work it out.\nSo the answer is $\\boxed{12}$ apples.", None)
    assert final.response == "Work it out.\nThe answer is 12"
    assert extract_strict(final.response).answer == "12"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Sure! Here is a new problem: Find the sum of 2 and 3.", "Find the sum of 2 and 3."),
        ("Sure, here's a rephrased version of the question:\nWhat is 2+3?", "What is 2+3?"),
        ("Certainly! Here is the rewritten problem:\n\nA train goes 5 km.", "A train goes 5 km."),
        ("Here is a more complex version: What is 2+3?", "What is 2+3?"),
        ("Of course. What is 2+3?", "What is 2+3?"),
    ],
)
def test_chatty_openings_are_stripped(raw, clean):
    assert strip_chatty_opening(raw) == (clean, True)


@pytest.mark.parametrize(
    "question",
    [
        "What is 2+3? Here is a hint: none.",
        "Surely you can compute 2+3?",
        "Find x.",
        "Here is a new problem of the same kind. A box holds 5 apples: how many in 3 boxes?",
    ],
)
def test_questions_without_a_chatty_opening_are_untouched(question):
    assert strip_chatty_opening(question) == (question, False)


class ChattyTeacher:
    """The deterministic teacher, but answering the way real chat models often do."""

    ENDINGS = (
        "Therefore, the answer is {a}.",
        "**The answer is {a}**",
        "The answer is $\\boxed{{{a}}}$",
        "The answer is {a} dollars",
        "The answer is {a}",
    )

    def __init__(self, problems):
        from skyray.testing.deterministic import DeterministicTeacher

        self.inner = DeterministicTeacher(problems)
        self.model_name = self.inner.model_name
        self.endings_used: list[int] = []

    def chat(self, messages, sampling):
        from dataclasses import replace

        result = self.inner.chat(messages, sampling)
        text = result.text
        if "\nThe answer is " in text:
            body, answer = text.rsplit("\nThe answer is ", 1)
            choice = sum(map(ord, body)) % len(self.ENDINGS)  # deterministic, whatever the order
            self.endings_used.append(choice)
            text = f"{body}\n{self.ENDINGS[choice].format(a=answer)}"
        elif text.strip():
            text = "Sure! Here is a new problem: " + text
        return replace(result, text=text)

    def complete(self, prompt, sampling):
        return self.chat([{"role": "user", "content": prompt}], sampling)


def test_synthesis_keeps_only_canonical_final_lines_and_counts_the_edits():
    from skyray.llm import LocalTeacher
    from skyray.synth.context import OpContext, Task
    from skyray.synth.metamath import run_metamath
    from skyray.synth.runner import collect

    problems = [
        Problem(id=f"p{i}", problem=f"What is {i} plus {i + 1}?", answer=str(2 * i + 1), level=1)
        for i in range(10)
    ]
    chatty = ChattyTeacher(problems)
    teacher = LocalTeacher(chatty)
    ctx = OpContext(teacher, {"temperature": 0.7, "top_p": 1.0, "max_tokens": 1024})
    tasks = [
        Task(index=i, seed=p, root_id=p.id, parent_id="", family="metamath", ops=(op,),
             sample_index=0, stage=1)
        for i, (p, op) in enumerate((p, op) for p in problems for op in ("answer_aug", "rephrase"))
    ]  # fmt: skip

    async def run():
        return await asyncio.gather(*(run_metamath(t, ctx) for t in tasks))

    phase = collect("1a", asyncio.run(run()), target=100)
    assert len(phase.samples) == len(tasks)  # nothing lost to the endings
    for sample in phase.samples:
        assert sample.response.splitlines()[-1] == f"The answer is {sample.gold}"
        assert grade(sample.response, sample.gold, "strict").correct
        assert not sample.question.lower().startswith("sure")
    plain = chatty.endings_used.count(len(ChattyTeacher.ENDINGS) - 1)
    assert 0 < plain < len(tasks)
    assert phase.edits["final-line:canonical"] == plain
    assert phase.edits["final-line:rewritten"] == len(tasks) - plain
    assert phase.edits["question:chatty-opening-stripped"] == 10
