"""Report tables on a hand-checked set of predictions: every figure below was worked out by hand
from the rows (which grader accepts which response is noted on each row)."""

from __future__ import annotations

import json
import math

import pytest

from skyray.eval.report import build_report, render_markdown
from skyray.eval.run import grade_rows
from skyray.eval.sampling import pass_at_k


def _row(id_, bench, response, gold, level=None, subject="", k=0, sample=0, error=None):
    return {
        "id": id_,
        "benchmark": bench,
        "response": response,
        "gold": gold,
        "level": level,
        "subject": subject,
        "num_distractors": k,
        "sample_index": sample,
        "error": error,
    }


# MATH-like rows. strict: only "The answer is" lines count. equiv: any final-answer form.
MATH_ROWS = [
    _row("m1", "math-test", "x=5.\nThe answer is 5", "5", 1, "Algebra"),  # both right
    _row("m2", "math-test", "The answer is 3", "5", 1, "Algebra"),  # both wrong
    _row(
        "m3", "math-test", "so $\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}", 2, "Geometry"
    ),  # equiv only
    _row("m4", "math-test", "The answer is 12", "12", 2, "Geometry"),  # both right
    _row("m5", "math-test", "The final answer is 7", "7", 5, "Prealgebra"),  # equiv only
    _row("m6", "math-test", "", "4", 5, "Prealgebra", error="prompt-too-long: 3000 tokens > 2048"),
]
# GSM8K distractor rows: problem g1 and g2, k = 0..2
DISTRACTOR_ROWS = [
    _row("g1", "gsm8k-distractors", "The answer is 18", "18", k=0),
    _row("g1#d1", "gsm8k-distractors", "The answer is 18", "18", k=1),
    _row("g1#d2", "gsm8k-distractors", "The answer is 20", "18", k=2),
    _row("g2", "gsm8k-distractors", "The answer is 3", "3", k=0),
    _row("g2#d1", "gsm8k-distractors", "The answer is 4", "3", k=1),
    _row("g2#d2", "gsm8k-distractors", "The answer is 5", "3", k=2),
]
# 4 samples each of two problems (temperature sampling)
SAMPLED_ROWS = [
    _row("s1", "gsm8k-test", f"The answer is {a}", "10", sample=i)
    for i, a in enumerate(["10", "9", "10", "11"])
] + [
    _row("s2", "gsm8k-test", f"The answer is {a}", "2", sample=i)
    for i, a in enumerate(["3", "3", "2", "4"])
]


@pytest.fixture(scope="module")
def report():
    rows = grade_rows(MATH_ROWS + DISTRACTOR_ROWS + SAMPLED_ROWS, ["strict", "equiv"], 2.0)
    return build_report(rows, ["strict", "equiv"], {"model": "hand-checked"})


def test_overall_and_errors(report):
    m = report["benchmarks"]["math-test"]
    assert m["num_problems"] == 6
    assert (m["graders"]["strict"]["correct"], m["graders"]["equiv"]["correct"]) == (2, 4)
    assert m["graders"]["strict"]["accuracy"] == pytest.approx(2 / 6)
    assert m["errors"] == {"count": 1, "by_reason": {"prompt-too-long": 1}}
    # strict finds no answer line in m3, m5 and the failed m6
    assert m["graders"]["strict"]["no_answer"] == 3
    assert m["graders"]["equiv"]["no_answer"] == 1


def test_per_level_and_subject(report):
    strict = report["benchmarks"]["math-test"]["graders"]["strict"]
    equiv = report["benchmarks"]["math-test"]["graders"]["equiv"]
    assert {k: (c["correct"], c["n"]) for k, c in strict["by_level"].items()} == {
        "1": (1, 2),
        "2": (1, 2),
        "5": (0, 2),
    }
    assert {k: (c["correct"], c["n"]) for k, c in equiv["by_level"].items()} == {
        "1": (1, 2),
        "2": (2, 2),
        "5": (1, 2),
    }
    assert equiv["by_subject"]["Geometry"]["accuracy"] == 1.0
    assert strict["by_subject"]["Prealgebra"]["accuracy"] == 0.0


def test_disagreements_list_exactly_the_rows_where_graders_differ(report):
    d = report["benchmarks"]["math-test"]["disagreements"]
    assert [(x["id"], x["correct_strict"], x["correct_equiv"]) for x in d] == [
        ("m3", False, True),
        ("m5", False, True),
    ]
    assert d[1]["extracted_equiv"] == "7" and d[1]["extracted_strict"] is None


def test_distractor_table(report):
    dis = report["benchmarks"]["gsm8k-distractors"]["distractors"]["strict"]
    assert {k: (c["correct"], c["n"]) for k, c in dis.items()} == {
        "0": (2, 2),
        "1": (1, 2),
        "2": (0, 2),
    }


def test_maj_and_pass_at_k(report):
    sampled = report["benchmarks"]["gsm8k-test"]["sampling"]["equiv"]
    assert sampled["k"] == 4 and sampled["n"] == 2
    # s1: 2 of 4 right, majority "10" right; s2: 1 of 4 right, majority "3" wrong
    assert sampled["pass@1"] == pytest.approx((0.5 + 0.25) / 2)
    assert sampled["pass@4"] == 1.0
    assert sampled["maj@4"] == 0.5
    # top-1 accuracy uses sample 0 only: s1 right ("10"), s2 wrong ("3")
    assert report["benchmarks"]["gsm8k-test"]["graders"]["equiv"]["correct"] == 1


def test_pass_at_k_estimator():
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(4, 2))
    with pytest.raises(ValueError):
        pass_at_k(2, 3, 1)


def test_markdown_has_paper_layout(report):
    md = render_markdown(report)
    assert "| Model | Grader | Level-1 | Level-2 | Level-3 | Level-4 | Level-5 |" in md
    # Level-3 and Level-4 have no rows here: shown as "-" in the paper's fixed columns
    assert "| hand-checked | equiv | 50.00 [9.5, 90.5] | 100.00 [34.2, 100.0] | - | - | 50.00" in md
    assert (
        "| Model | Grader | Algebra | Counting&Probability | Geometry | Intermediate Algebra | "
        "Number Theory | Prealgebra | Precalculus |" in md
    )
    assert "| Model | Grader | original | 1 | 2 |" in md
    assert (
        "| hand-checked | strict | 100.00 [34.2, 100.0] | 50.00 [9.5, 90.5] | 0.00 [0.0, 65.8] |"
        in md
    )
    assert "| math-test | m3 | `\\frac{1}{2}` | (none) | no | `\\frac{1}{2}` | yes |" in md
    assert "maj@4" in md and "pass@4" in md
    assert "math-test: 1 ({'prompt-too-long': 1})" in md
    json.dumps(report)  # the report is plain JSON data


def test_grading_in_processes_matches_in_process():
    rows = [
        _row(f"p{i}", "gsm8k-test", f"so\nThe answer is {i % 7}", str(i % 5)) for i in range(1000)
    ]
    one = grade_rows(rows, ["strict", "equiv"], 2.0, 1)
    two = grade_rows(rows, ["strict", "equiv"], 2.0, 2)
    assert one == two
    assert sum(r["correct"] for r in one) == sum(i % 7 == i % 5 for i in range(1000))
