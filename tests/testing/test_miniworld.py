"""The miniature world: texts round-trip, levels are step counts, splits are disjoint and
deterministic, the teacher answers every synthesis prompt with new, correct problems, and
30-gram decontamination catches exactly its planted leaks."""

import random

import pytest

from skyray.data.miniworld import gen
from skyray.data.miniworld.splits import split_problems
from skyray.data.miniworld.text import parse, render, solution_text
from skyray.data.miniworld.world import KINDS, MAX_LEVEL, answer, solve
from skyray.synth.backward import make_backward, sv_question
from skyray.synth.prompts import render as render_prompt_template
from skyray.testing.miniworld.config import MiniWorldTeacherConfig
from skyray.testing.miniworld.teacher import MiniWorldTeacher


def _puzzles(count: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(count):
        level = 1 + i % MAX_LEVEL
        kinds = gen.kinds_for(level)
        yield gen.random_puzzle(rng, kinds[i % len(kinds)], level)


def _ask(teacher, template: str, seed: int = 0, **fields):
    prompt, _ = render_prompt_template(template, **fields)
    return teacher.chat([{"role": "user", "content": prompt}], {"seed": seed})


def test_render_parse_round_trip_and_level_is_the_number_of_steps():
    for p in _puzzles(400):
        for style in (0, 1):
            q = p.__class__(**{**p.__dict__, "style": style})
            parsed = parse(render(q))
            assert parsed is not None and not parsed.has_unknown
            assert parsed.build(0) == q
        lines = solution_text(p).splitlines()
        assert len(lines) == p.level + 2 and lines[-1] == f"The answer is {answer(p)}"


def test_every_kind_has_levels_and_well_posed_answers():
    seen = {(p.kind, p.level) for p in _puzzles(400)}
    assert {k for k, _ in seen} == set(KINDS)
    assert {lv for _, lv in seen} == set(range(1, MAX_LEVEL + 1))
    assert all(solve(p) is not None for p in _puzzles(100, seed=1))


def test_splits_are_deterministic_disjoint_and_balanced():
    train, test = split_problems("train"), split_problems("test")
    assert [p.id for p in test] == [p.id for p in split_problems("test")]
    assert len(test) == 300 and {p.level for p in test} == set(range(1, 6))
    assert not {p.problem for p in train} & {p.problem for p in test}
    assert not {p.solution for p in train} & {p.solution for p in test}
    assert len({p.id for p in train}) == len(train) == 2000


def test_registry_serves_the_splits():
    from skyray.data.benchmarks import get_benchmark, load_benchmark

    assert get_benchmark("miniworld-test").role == "test"
    assert load_benchmark("miniworld-test")[0] == split_problems("test")[0]


def test_teacher_solves_rewrites_and_is_deterministic():
    teacher = MiniWorldTeacher(
        MiniWorldTeacherConfig(wrong_share=0, truncated_share=0, chatty_share=0, leak_share=0)
    )
    q = "Ava has 7 coins. Ava gets 5 more. Ava gives away 3. How many coins does Ava have now?"
    assert _ask(teacher, "solve", question=q).text.endswith("The answer is 9")
    assert _ask(teacher, "solve", question=q).text == _ask(teacher, "solve", question=q).text
    rephrased = _ask(teacher, "rephrase", question=q).text
    assert rephrased != q and answer(parse(rephrased).build(0)) == 9
    deeper = parse(_ask(teacher, "evol_deepen", question=q).text).build(0)
    assert deeper.level == 3 and deeper.steps[:2] == parse(q).build(0).steps
    fresh = parse(_ask(teacher, "evol_rewrite", question=q).text).build(0)
    assert fresh.level == 2 and render(fresh) != q and not gen.in_test_region(fresh)
    for kind in ("fobar", "sv"):
        back = make_backward(q, "9", kind, choice=1)
        assert _ask(teacher, "solve", question=back.question).text.endswith(
            f"The answer is {back.value}"
        )
    masked = q.replace("7", "X")
    statement = _ask(teacher, "sv_rewrite", question=masked, answer="9").text
    assert statement.endswith("Ava has 9 coins now.") and "X" in statement
    solved = _ask(teacher, "solve", question=sv_question(statement)).text
    assert solved.endswith("The answer is 7")


def test_teacher_noise_shares_and_xwin_flaws():
    teacher = MiniWorldTeacher(
        MiniWorldTeacherConfig(wrong_share=0.2, truncated_share=0.2, chatty_share=0.2)
    )
    q = "Ava has 7 coins. Ava gets 5 more. How many coins does Ava have now?"
    outs = [_ask(teacher, "solve", seed=s, question=q) for s in range(300)]
    right = sum(o.text.endswith("The answer is 12") for o in outs)
    cut = sum(o.finish_reason == "length" for o in outs)
    chatty = sum("The answer is" not in o.text and o.finish_reason == "stop" for o in outs)
    assert 0.3 < right / 300 < 0.5 and 30 < cut < 90 and 30 < chatty < 90
    flawed = [_ask(teacher, "xwin_generate", seed=s, question=q).text for s in range(60)]
    verdicts = [_ask(teacher, "xwin_verify", question=f).text.endswith("FLAWED") for f in flawed]
    assert 5 < sum(verdicts) < 30
    bad = flawed[verdicts.index(True)]
    fixed = _ask(teacher, "xwin_correct", question=bad, review="flawed").text
    assert solve(parse(fixed).build(0)) is not None


@pytest.fixture(scope="module")
def test_matcher():
    from skyray.curate.decontam import Matcher, benchmark_texts, build_index

    return Matcher(build_index(benchmark_texts(["miniworld-test"]), n=30, min_tokens=8))


def test_decontam_flags_leaks_and_no_clean_problem(test_matcher):
    teacher = MiniWorldTeacher(MiniWorldTeacherConfig(leak_share=0))
    clean_q, clean_r = [], []
    rng = random.Random(3)
    for p in _puzzles(1200, seed=5):
        clean_q.append(render(p))
        clean_r.append(solution_text(p))
        child = gen.add_step(rng, p)
        if child is not None:
            clean_q.append(render(child))
            clean_r.append(solution_text(child))
        back = make_backward(render(p), str(answer(p)), "fobar", choice=rng.randrange(9))
        if back is not None:
            clean_q.append(back.question)
            clean_r.append(teacher.solve(back.question, "k")[0])
    hits = test_matcher.find(clean_q, "question") + test_matcher.find(clean_r, "response")
    assert sum(bool(h) for h in hits) == 0
    leaks = split_problems("test")
    q_hits = test_matcher.find([p.problem for p in leaks], "question")
    r_hits = test_matcher.find([p.solution for p in leaks], "response")
    assert all(q and r for q, r in zip(q_hits, r_hits, strict=True))


def test_evol_on_a_planted_leak_terminates_as_a_derived_leak():
    teacher = MiniWorldTeacher()
    leak = split_problems("test")[5].problem
    for template in ("evol_concretize", "evol_deepen", "evol_rewrite", "rephrase"):
        assert parse(_ask(teacher, template, question=leak).text) is not None


def test_student_tokenizer_spells_numbers_digit_by_digit_with_the_space_on_the_first(tmp_path):
    """Every digit is its own token and a number's leading space rides on its first digit, so
    copying a number from the problem is a one-token match; world texts decode unchanged."""
    from skyray.data.miniworld.splits import split_problems
    from skyray.testing.miniworld.model import StudentConfig, build_tokenizer

    tok = build_tokenizer(StudentConfig())
    pieces = tok.convert_ids_to_tokens(tok("Ava gives away 4. 19 - 4 = 15.")["input_ids"])
    assert pieces[pieces.index("Ġaway") + 1] == "Ġ4"
    assert pieces[pieces.index("Ġ-") - 2 : pieces.index("Ġ-")] == ["Ġ1", "9"]
    assert pieces[-3:] == ["Ġ1", "5", "."]
    assert not [p for p in pieces if p == "Ġ"]  # no bare space token
    for p in split_problems("test")[:25]:
        for text in (p.problem, p.solution):
            assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
            digits = [t for t in tok.tokenize(text) if any(c.isdigit() for c in t)]
            assert all(len(t.lstrip("Ġ")) == 1 for t in digits)
