"""The summary's arithmetic-line check: right and wrong lines of every operator, and the count of
correct answers whose every line is right."""

import json

from skyray.data.miniworld.splits import split_problems
from skyray.testing.miniworld.lines import check_predictions, check_response


def test_the_world_solutions_have_every_line_right_and_a_wrong_sum_is_caught():
    for p in split_problems("test")[::25]:
        lines, right = check_response(p.solution)
        assert lines == p.level and right == lines, p.solution
    assert check_response("- 7 + 5 = 12.\n- 12 / 5 = 2.\n- 12 % 5 = 2.\n- 3 * 4 = 13.") == (4, 2)


def test_correct_answers_are_split_by_whether_their_lines_are_right(tmp_path):
    rows = [
        {"response": "- 2 + 3 = 5.\nThe answer is 5", "correct_strict": True},
        {"response": "- 2 + 3 = 6.\nThe answer is 5", "correct_strict": True},  # lucky guess
        {"response": "The answer is 5", "correct_strict": True},  # no line at all
        {"response": "- 4 - 1 = 3.\nThe answer is 3", "correct_strict": False},
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    check = check_predictions(path)
    assert (check.lines, check.right, check.correct, check.correct_all_lines) == (3, 2, 3, 1)
    assert check.describe() == "2/3 lines right (66.7%), 1/3 correct answers with every line right"
