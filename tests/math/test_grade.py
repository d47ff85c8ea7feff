import json
import time
from pathlib import Path

import pytest

from skyray.data.benchmarks import load_benchmark
from skyray.math.equiv import EquivTimeout, is_equiv, majority_answer, symbolic_equal
from skyray.math.grade import gold_from_solution, grade, strict_equal

APPENDIX_B = Path(__file__).resolve().parents[3] / "shared" / "grading_appendix_b.jsonl"

ACCEPT = [
    ("0.75", "\\frac{3}{4}"),
    ("\\dfrac{3}{4}", "\\frac34"),
    ("3/4", "\\frac{3}{4}"),
    ("x=2", "2"),
    ("x = -\\frac{1}{2}", "-\\frac12"),
    ("\\sqrt{3},\\sqrt{2}", "\\sqrt{2},\\sqrt{3}"),
    ("-3, 2", "2, -3"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("90^\\circ", "90"),
    ("90^{\\circ}", "90"),
    ("5 \\text{ cm}", "5"),
    ("18 dollars", "18"),
    ("\\$18.00", "18"),
    ("1,000", "1000"),
    ("1{,}000", "1000"),
    ("24\\%", "0.24"),
    ("50%", "50"),
    ("\\text{odd}", "odd"),
    ('"Evelyn"', "\\text{Evelyn}"),
    ("(C)", "C"),
    ("2\\sqrt{2}", "\\sqrt{8}"),
    ("x^2+2x+1", "(x+1)^2"),
    ("\\frac{1}{2}+\\frac{\\sqrt{2}}{4}", "\\frac{2+\\sqrt{2}}{4}"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
    ("[2,5)", "[2, 5)"),
    ("x=\\frac{2401}{100}=24.01", "24.01"),
    ("\\pi/2", "\\frac{\\pi}{2}"),
    ("10^{3}", "1000"),
    ("-.5", "-\\frac{1}{2}"),
]

REJECT = [
    ("0.333", "\\frac{1}{3}"),  # rounded decimal for an exact value
    ("1.414", "\\sqrt{2}"),
    ("3.14", "\\pi"),
    ("(2,1)", "(1,2)"),  # swapped ordered pair
    ("[2,5]", "[2,5)"),  # wrong interval endpoint
    ("(1,2]", "(1,2)"),
    ("5", "6"),
    ("2, 3", "2, 3, 4"),  # missing solution
    ("\\text{even}", "\\text{odd}"),
    ("x^2+1", "(x+1)^2"),
    ("", "5"),
    ("24", "0.24"),  # neither side is a percent
]


@pytest.mark.parametrize(("pred", "gold"), ACCEPT)
def test_equiv_accepts(pred, gold):
    assert is_equiv(pred, gold), (pred, gold)


@pytest.mark.parametrize(("pred", "gold"), REJECT)
def test_equiv_rejects(pred, gold):
    assert not is_equiv(pred, gold), (pred, gold)


def _appendix_b():
    return [json.loads(line) for line in APPENDIX_B.read_text().splitlines() if line.strip()]


def test_appendix_b_equiv_accepts_every_case():
    cases = _appendix_b()
    assert len(cases) == 8
    for case in cases:
        verdict = grade(case["response"], case["gold"], "equiv")
        assert verdict.correct is case["correct"], (case, verdict)


def test_appendix_b_strict_rejects_them_like_the_paper():
    # The paper lists these as correct answers its strict (MetaMath) grading marks wrong.
    rejected = [
        c["id"] for c in _appendix_b() if not grade(c["response"], c["gold"], "strict").correct
    ]
    assert len(rejected) == 8


def test_strict_is_metamath_like():
    assert grade("The answer is: 18", "18", "strict").correct
    assert grade("The answer is 1,000", "1000", "strict").correct  # MetaMath drops commas
    assert grade("The answer is \\dfrac{1}{2}", "\\frac12", "strict").correct
    assert grade("The answer is 0.5", "\\frac{1}{2}", "strict").correct  # strip_string special case
    assert not grade("The answer is 2/4", "\\frac{1}{2}", "strict").correct
    assert not grade("\\boxed{18}", "18", "strict").correct
    assert not strict_equal(None, "1")


def test_unknown_grader_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown grader"):
        grade("The answer is 1", "1", "fuzzy")  # type: ignore[arg-type]


def test_gold_vs_gold_on_all_of_math_test(data_dir):
    rows = load_benchmark("math-test", data_dir)
    assert len(rows) == 5000
    for mode in ("equiv", "strict"):
        wrong = [
            r.answer for r in rows if not grade(f"The answer is {r.answer}", r.answer, mode).correct
        ]
        assert wrong == [], (mode, wrong[:5])


def test_gold_answer_from_solution():
    assert gold_from_solution("so $\\boxed{\\frac{1}{\\sqrt{2}}}$.") == "\\frac{1}{\\sqrt{2}}"
    assert gold_from_solution("3+4=7\n#### 1,007") == "1007"
    assert gold_from_solution("no answer") is None


def test_a_stalled_comparison_hits_the_wall_clock_backstop(monkeypatch):
    # a call that waits instead of computing uses no CPU: the wall-clock backstop ends it
    import skyray.math.equiv as equiv

    monkeypatch.setattr(equiv, "_math_verify", lambda p, g: time.sleep(30))
    with pytest.raises(EquivTimeout, match="wall-clock"):
        symbolic_equal("x", "y", timeout_s=0.1)


def test_a_timeout_inside_is_equiv_is_a_not_equal(monkeypatch):
    import skyray.math.equiv as equiv

    monkeypatch.setattr(equiv, "_math_verify", lambda p, g: time.sleep(30))
    assert is_equiv("\\sin(x)", "\\cos(x-\\pi/2)", timeout_s=0.1) is False


def test_majority_answer_groups_equivalent_forms():
    assert majority_answer(["\\frac12", "0.5", "3", None, "1/2"]) == "\\frac12"
    assert majority_answer([None, None]) is None


def test_every_math_test_reference_solution_grades_correct(data_dir):
    # the reference solution read as a model response. Seven MATH solutions box several
    # different answers ("the answers are $\\boxed{-2}$ and $\\boxed{1}$") while their gold keeps
    # only the last box: equiv reads such a response as the whole list (the convention that
    # accepts "\\boxed{(2,2)} and \\boxed{(6,2)}" for "(2,2), (6,2)"), so they do not match.
    rows = load_benchmark("math-test", data_dir)
    wrong = {
        r.id: grade(r.solution, r.answer) for r in rows if not grade(r.solution, r.answer).correct
    }
    assert len(wrong) <= 7, sorted(wrong)
    for verdict in wrong.values():
        assert verdict.method == "boxed" and ", " in verdict.extracted, verdict


# (response, gold, equiv's verdict, strict's verdict): one row per kind the issue lists
KINDS = [
    ("So 6 times 7.\nThe final answer is 42. I hope it is correct.", "42", True, False),
    ("Count them.\nAnswer: 9", "9", True, False),
    ("Count them.\n**Answer:** 9", "9", True, False),
    ("Add the parts.\n**73**", "73", True, False),
    ("Add the parts.\nThe answer is **73**", "73", True, False),
    ("Both work: $\\boxed{(2,2)}$ and $\\boxed{(6,2)}$.", "(2,2),(6,2)", True, False),
    ("Both work: $\\boxed{(2,2)}$ and $\\boxed{(6,2)}$.", "(2,2)", False, False),
    ("The answer is 10,\\!000", "10000", True, True),
    ("The answer is 11,\\! 111,\\! 111,\\! 100", "11111111100", True, True),
    ("The answer is 918.5", "918\\frac{1}{2}", True, False),
    ("The answer is 459", "918\\frac{1}{2}", False, False),
    ("The answer is \\frac{1}{3}", "0.\\overline{3}", True, False),
    ("The answer is 0.3", "0.\\overline{3}", False, False),
    ("The answer is \\{1, 2, 3\\}", "1,2,3", True, False),
    ("The answer is 3 \\text{ and } 5", "3, 5", True, False),
    ("The answer is p=-1 and p=15/8", "-1, \\frac{15}{8}", True, False),
    ("The answer is a=4,-8,-10", "4, -8, -10", True, True),
    ("The answer is (0;0;0)", "(0,0,0)", True, False),
    ("The answer is (6,2),(2,2)", "(2,2),(6,2)", True, False),
    ("The answer is (3,2)", "(p,q)=(3,2)", True, False),
    ("The answer is (2,3)", "(p,q)=(3,2)", False, False),
    ("The answer is (2,12)\\cup(12,102)", "(2, 12) \\cup (12, 102)", True, True),
    ("The answer is \\frac{1}{3} \\text{meters}", "\\frac{1}{3}", True, False),
    ("The answer is x != 3", "x \\neq 3", True, False),
    ("The answer is \\mathrm{E}", "E", True, False),
    ("The answer is \\textbf{A}", "A", True, False),
    ("The answer is 2.5", "\\frac{5}{2}", True, True),
    ("The answer is 11a+c", "7 = 11a+c", False, True),  # strict: MATH drops a 2-character side
    ("The answer is 0.333", "\\frac{1}{3}", False, False),
]


@pytest.mark.parametrize(("response", "gold", "equiv", "strict"), KINDS)
def test_each_kind_with_both_graders(response, gold, equiv, strict):
    assert grade(response, gold, "equiv").correct is equiv
    assert grade(response, gold, "strict").correct is strict
