"""Precision and recall of ``equiv`` on the labelled cases, every ending included."""

from skyray.math.grade import grade
from tests.math.grading_cases import ENDINGS, load_cases, measure, responses


def test_the_case_file_is_large_and_balanced():
    cases = load_cases()
    assert len(cases) >= 300
    assert sum(not c["correct"] for c in cases) >= 100  # hard negatives, not only positives
    kinds = {c["kind"] for c in cases}
    for kind in ("thousands", "mixed-number", "repeating", "set", "and-list", "named-list",
                 "semicolon", "points", "named-tuple", "interval", "units", "relation", "text",
                 "false-accept", "decimal-rounded"):  # fmt: skip
        assert kind in kinds, kind
    assert len(responses(cases[0])) >= len(ENDINGS)


def test_equiv_precision_and_recall_on_every_ending():
    result = measure(lambda response, gold: grade(response, gold, "equiv").correct)
    assert result["responses"] >= 2500
    misses = result["misses"][:10]
    assert result["precision"] >= 0.99, misses
    assert result["recall"] >= 0.97, misses
    for ending, accuracy in result["accuracy_per_ending"].items():
        assert accuracy >= 0.97, (ending, misses)


def test_strict_stays_the_papers_rule_on_the_same_cases():
    # strict only reads "The answer is X" lines and compares MATH-normalised strings: low recall,
    # and MetaMath's own shortcuts ("1,000" is 1000, a left side of 2 characters is dropped) make
    # its few false accepts ("32, 349" for 32349, "11a+c" for "7 = 11a+c")
    result = measure(lambda response, gold: grade(response, gold, "strict").correct)
    assert result["precision"] >= 0.95
    assert result["recall"] < 0.5
