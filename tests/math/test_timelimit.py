"""The grader's time limits hold: per comparison and per row, in any thread.

Bounds are on CPU time (``time.thread_time``), never on wall-clock time, so a loaded machine
cannot make these tests flaky."""

import threading
import time

import pytest

from skyray.math.equiv import EquivTimeout, _parse_latex, is_equiv, symbolic_equal
from skyray.math.grade import grade
from skyray.math.magnitude import too_large
from skyray.math.timelimit import row_budget, row_remaining, run_limited

# sympy needs >15 s of CPU (pure Python) to decide that this is not 3
SLOW_RADICAL = "(1+\\sqrt{2}+\\sqrt{3}+\\sqrt{5}+\\sqrt{7})^{40}"
TOWERS = ", ".join(f"{k}^{{{k}^{{{k}^{{{k}}}}}}}" for k in range(2, 22))


def _cpu(fn):
    start = time.thread_time()
    value = fn()
    return value, time.thread_time() - start


def _swallowing_burner():
    """Like math-verify: every step is wrapped in ``except Exception`` and the loop goes on."""
    for _ in range(10**9):
        try:
            sum(range(2000))
        except Exception:  # noqa: BLE001 (the behaviour under test)
            pass
    return True


def _in_thread(fn):
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001
            out["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    return out


def test_a_timeout_is_not_swallowed_by_except_exception():
    start = time.thread_time()
    with pytest.raises(EquivTimeout):
        run_limited(_swallowing_burner, 0.2)
    assert time.thread_time() - start < 1.5


def test_the_limit_holds_off_the_main_thread():
    def limited():
        start = time.thread_time()
        try:
            run_limited(_swallowing_burner, 0.2)
        except EquivTimeout:
            return time.thread_time() - start
        return None

    out = _in_thread(limited)
    assert out.get("value") is not None and out["value"] < 1.5, out


@pytest.mark.parametrize("where", ["main", "thread"])
def test_a_real_slow_sympy_comparison_stops_at_the_limit(where):
    from sympy.core.cache import clear_cache

    _parse_latex.cache_clear()
    clear_cache()  # sympy remembers partial results: start cold, as a new row would

    def compare():
        start = time.thread_time()
        with pytest.raises(EquivTimeout):
            symbolic_equal(SLOW_RADICAL, "3", timeout_s=0.5)
        return time.thread_time() - start

    cpu = compare() if where == "main" else _in_thread(compare)["value"]
    assert cpu < 2.5  # the 0.5 s limit plus parsing and the interrupt's latency


def test_the_row_budget_caps_all_comparisons_of_a_row():
    with row_budget(0.3):
        assert 0 < row_remaining() <= 0.3
        with pytest.raises(EquivTimeout):
            run_limited(_swallowing_burner, 10)
        # the budget is spent: the next comparison does not even start
        with pytest.raises(EquivTimeout, match="budget"):
            run_limited(lambda: True, 10)
    assert row_remaining() is None
    assert run_limited(lambda: 7, 10) == 7


def test_row_budget_bounds_a_response_listing_many_hard_answers(monkeypatch):
    import skyray.math.equiv as equiv

    monkeypatch.setattr(equiv, "_math_verify", lambda p, g: _swallowing_burner())
    gold = ", ".join(f"\\log({k})" for k in range(2, 22))
    pred = ", ".join(f"\\log({k}) + \\sin({k})" for k in range(2, 22))
    verdict, cpu = _cpu(lambda: grade(f"The answer is {pred}", gold, timeout_s=2, row_budget_s=1))
    assert verdict.correct is False
    assert cpu < 3  # 20x20 comparisons of 2 s each would be 800 s


@pytest.mark.parametrize(
    ("response", "gold"),
    [
        ("The answer is $(10^{9})!$", "5"),
        ("The answer is $(10^{9})!$", "(10^{9})! + 1"),
        (f"The answer is {TOWERS}", TOWERS.replace("2^{", "3^{", 1)),
        ("The answer is $2^{2^{100}}$", "2^{2^{100}} - 1"),
        ("The answer is 1e999999999", "1"),
    ],
)
def test_hostile_answers_come_back_fast_and_wrong(response, gold):
    _parse_latex.cache_clear()
    verdict, cpu = _cpu(lambda: grade(response, gold))
    assert verdict.correct is False
    assert cpu < 2.5  # well inside the default 2 s limit and 5 s row budget


def test_hostile_answers_in_a_thread_come_back_too():
    out = _in_thread(lambda: _cpu(lambda: grade(f"The answer is {TOWERS}", TOWERS + ", 1")))
    verdict, cpu = out["value"]
    assert verdict.correct is False and cpu < 2.5


def test_too_large_spots_towers_and_factorials_only():
    assert too_large("(10^{9})!") and too_large("3^{3^{3^{3}}}") and too_large("2^{2^{100}}")
    assert too_large("10^{1000000}")
    assert not too_large("2^{10}") and not too_large("x^{n+1}") and not too_large("5!")
    assert not too_large("2^{2^{3}}") and not too_large("\\frac{10!}{3!}")
    # a huge power written identically on both sides is still equal (string comparison)
    assert is_equiv("(10^{9})!", "(10^{9})!")
