import pytest

from skyray.math.extract import extract_answer, extract_strict, has_answer_line
from skyray.math.latex import all_boxed, last_boxed, split_top_level


@pytest.mark.parametrize(
    ("response", "expected", "method"),
    [
        ("So 2+3=5.\nThe answer is 5", "5", "prefix"),
        ("The answer is: 5", "5", "prefix"),
        ("The answer is $\\frac{1}{2}$.", "\\frac{1}{2}", "prefix"),
        ("The answer is \\boxed{\\frac{3}{4}}.", "\\frac{3}{4}", "prefix"),
        ("The answer is 12 apples", "12 apples", "prefix"),
        ("first The answer is 3\nthen The answer is 7", "7", "prefix"),
        ("The correct answer is 19, but this is based on an assumption", "19", "phrase"),
        ("The final answer is $x = 4$. I hope it is correct.", "x = 4", "phrase"),
        ("Thus we get \\boxed{\\frac{\\sqrt{3}}{2}} as required.", "\\frac{\\sqrt{3}}{2}", "boxed"),
        ("Janet makes 18 dollars.\n#### 18", "18", "gsm8k"),
        ("...The value of x is 2", "2", "statement"),
        ("The answer is \\(\\sqrt{2}\\)", "\\sqrt{2}", "prefix"),
        ('The answer is \\"odd\\"', "odd", "prefix"),
        ("The answer is 3.14.", "3.14", "prefix"),
    ],
)
def test_extract_answer(response, expected, method):
    got = extract_answer(response)
    assert (got.answer, got.method) == (expected, method)


@pytest.mark.parametrize("response", ["", "   ", "I am not sure how to do this", "Let me think"])
def test_no_answer_is_reported(response):
    got = extract_answer(response)
    assert got.answer is None and got.method == "none"


def test_strict_only_reads_the_answer_prefix():
    assert extract_strict("so \\boxed{5}").answer is None
    assert extract_strict("The correct answer is 5").answer is None
    assert extract_strict("The answer is: 5\nmore text").answer == "5"
    assert has_answer_line("steps\nThe answer is 42")
    assert not has_answer_line("steps, \\boxed{42}")


def test_boxed_handles_nesting_and_fbox():
    text = "a \\boxed{\\frac{1}{\\sqrt{2}}} b \\fbox{x^{2}} c \\boxed 7."
    assert all_boxed(text) == ["\\frac{1}{\\sqrt{2}}", "x^{2}", "7"]
    assert last_boxed("no box here") is None
    assert last_boxed("\\boxed{\\left\\{1,2\\right\\}}") == "\\left\\{1,2\\right\\}"


def test_split_top_level_respects_brackets():
    assert split_top_level("(1,2),[3,4],5") == ["(1,2)", "[3,4]", "5"]


def test_a_later_box_beats_an_earlier_phrase_and_words_lose_to_a_box():
    assert extract_answer("the answer is 3? no.\nSo \\boxed{4}").answer == "4"
    assert extract_answer("So $\\boxed{-5}$. We check the answer is correct.").answer == "-5"
    assert extract_answer("The answer is odd").answer == "odd"
