"""Distractor variants: deterministic per seed, insert-only (the original problem, and so its
numbers, survive unchanged), nested in k, and the question stays last."""

from __future__ import annotations

from collections import Counter

import pytest

from skyray.data.benchmarks import load_benchmark
from skyray.eval.distractors import (
    DistractorConfig,
    build_distractor_set,
    insertion_points,
    make_variants,
    numbers,
    parse_teacher_sentences,
    remove_inserted,
)
from skyray.records import Problem


@pytest.fixture(scope="module")
def gsm8k_test(data_dir):
    return load_benchmark("gsm8k-test", data_dir)


def test_every_gsm8k_test_problem_keeps_its_text_and_numbers(gsm8k_test):
    cfg = DistractorConfig(seed=3)
    assert len(gsm8k_test) == 1319
    for p in gsm8k_test:
        variants = make_variants(p, cfg)
        assert [v.num_distractors for v in variants] == [1, 2, 3, 4, 5]
        for v in variants:
            text = v.problem.problem
            assert remove_inserted(text, v.inserted) == p.problem, p.id
            assert not Counter(numbers(p.problem)) - Counter(numbers(text)), p.id
            assert v.problem.answer == p.answer
            assert len(v.inserted) == v.num_distractors
            # the inserted sentences bring numbers the problem does not contain
            own = {n.replace(",", "") for n in numbers(p.problem)}
            assert all(set(numbers(s)).isdisjoint(own) for s in v.inserted), p.id
            # the question (last sentence of the original) is still the end of the text
            assert text.endswith(p.problem[insertion_points(p.problem)[-1] :])


def test_same_seed_same_variants_other_seed_differs(gsm8k_test):
    problems = gsm8k_test[:50]
    a, _ = build_distractor_set(problems, DistractorConfig(seed=7))
    b, _ = build_distractor_set(problems, DistractorConfig(seed=7))
    c, _ = build_distractor_set(problems, DistractorConfig(seed=8))
    texts = lambda vs: [v.problem.problem for v in vs]  # noqa: E731
    assert texts(a) == texts(b)
    assert texts(a) != texts(c)


def test_variants_are_nested_and_ids_name_k():
    p = Problem(id="p1", problem="Ann has 3 apples. She buys 4 more. How many now?", answer="7")
    variants = make_variants(p, DistractorConfig(seed=1))
    for smaller, larger in zip(variants, variants[1:], strict=False):
        assert set(smaller.inserted) < set(larger.inserted)
    assert [v.problem.id for v in variants] == [f"p1#d{k}" for k in range(1, 6)]


def test_set_has_originals_and_counts(gsm8k_test):
    variants, stats = build_distractor_set(gsm8k_test, DistractorConfig(limit=10))
    assert len(variants) == 60 and stats["variants"] == 60
    assert [v.num_distractors for v in variants[:6]] == [0, 1, 2, 3, 4, 5]
    assert variants[0].problem is gsm8k_test[0]
    assert stats["template_sentences"] == 50 and stats["teacher_sentences"] == 0


def test_teacher_sentences_are_validated_and_used_first():
    p = Problem(id="q", problem="Tom has 12 pens. He gives away 5. How many are left?", answer="7")
    reply = "\n".join(
        [
            "1. Tom's sister owns 8 pencils.",  # kept (numbering stripped)
            "Tom has 12 markers too.",  # rejected: repeats a number of the problem
            "How old is Tom?",  # rejected: a question
            "The shop is open late.",  # rejected: no number
            "- The school has 300 students.",  # kept
        ]
    )
    good = parse_teacher_sentences(reply, p)
    assert good == ["Tom's sister owns 8 pencils.", "The school has 300 students."]
    cfg = DistractorConfig(max_distractors=3)
    variants, stats = build_distractor_set([p], cfg, teacher=lambda batch: [reply] * len(batch))
    assert set(good) <= set(variants[-1].inserted)
    assert stats == {"problems": 1, "teacher_sentences": 2, "template_sentences": 1, "variants": 4}


def test_config_validation():
    with pytest.raises(ValueError, match="max_distractors"):
        DistractorConfig(max_distractors=0)
    with pytest.raises(ValueError, match="generator"):
        DistractorConfig(generator="gpt")
