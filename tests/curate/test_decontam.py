"""Decontamination: every planted leak is found, stock phrases are not, and the index agrees
with a brute-force search over token lists."""

import random

from skyray.curate.decontam import Matcher, build_index
from skyray.curate.text import tokenize
from skyray.testing.curate_workload import STOCK_PHRASE


def _brute_force(
    sample: str, items: list[tuple[str, list[str]]], n: int, min_tokens: int
) -> set[str]:
    """Items whose text shares an n-gram with the sample, or (shorter than n) is contained in
    it, or (shorter than min_tokens) equals it: the rule of skyray.curate.decontam, by hand."""
    tokens = tokenize(sample)
    grams = {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
    found = set()
    for item_id, item in items:
        if len(item) >= n:
            if any(tuple(item[i : i + n]) in grams for i in range(len(item) - n + 1)):
                found.add(item_id)
        elif len(item) >= min_tokens:
            k = len(item)
            if any(tokens[i : i + k] == item for i in range(len(tokens) - k + 1)):
                found.add(item_id)
        elif item and tokens == item:
            found.add(item_id)
    return found


def test_finds_every_planted_leak(workload, full_index):
    _, index = full_index
    matcher = Matcher(index)
    by_id = {r["id"]: r for r in workload.rows}
    rows = [by_id[i] for i in workload.leaks]
    assert len(rows) >= 50
    found = [set(), set()]
    for col, field in enumerate(("question", "response")):
        for i, hits in enumerate(matcher.find([r[field] for r in rows], field)):
            found[0 if not col else 1].update((rows[i]["id"], h.benchmark, h.item_id) for h in hits)
    hits = found[0] | found[1]
    missed = [
        (rid, b, item) for rid, (b, item) in workload.leaks.items() if (rid, b, item) not in hits
    ]
    assert not missed


def test_embedded_and_exact_leaks_name_item_and_overlap(full_index):
    texts, index = full_index
    matcher = Matcher(index)
    question = next(
        t
        for t in texts
        if t.benchmark == "math-test" and t.field == "question" and len(tokenize(t.text)) > 40
    )
    solution = next(t for t in texts if t.benchmark == "gsm8k-test" and t.field == "solution")
    short = next(t for t in texts if 8 <= len(tokenize(t.text)) < 30)
    tiny = next(t for t in texts if 0 < len(tokenize(t.text)) < 8)
    samples = [
        "First we think. " + question.text + " Then we stop.",  # embedded question
        solution.text.upper(),  # exact copy, case changed
        "Consider this. " + short.text + " And so on.",  # whole short item inside
        tiny.text,  # a tiny item as a whole question
        "Let us compute. " + tiny.text + " Done here.",  # tiny item inside text: not a leak
    ]
    hits = matcher.find(samples, "question")
    assert {(h.item_id, h.field) for h in hits[0]} >= {(question.item_id, "question")}
    assert solution.item_id in {h.item_id for h in hits[1]}
    assert short.item_id in {h.item_id for h in hits[2]}
    assert tiny.item_id in {h.item_id for h in hits[3]}
    assert tiny.item_id not in {h.item_id for h in hits[4]}
    top = max(hits[0], key=lambda h: h.num_tokens)
    assert top.num_tokens == len(tokenize(question.text))  # grown to the whole overlap
    assert top.overlap.startswith(" ".join(tokenize(question.text))[:50])
    assert question.item_id in top.detail()


def test_stock_phrases_are_not_leaks(full_index):
    texts, index = full_index
    matcher = Matcher(index)
    assert any(
        STOCK_PHRASE.lower().replace("$", "") in t.text.lower().replace("$", "") for t in texts
    )
    samples = [
        f"{STOCK_PHRASE} $x + y = 7$ and $xy = 5$. Find $x^2 + y^2$.",
        f"{STOCK_PHRASE} $\\frac{{1}}{{x}} + y = 3$. What is $x$?\nThe answer is 2",
        "What is the value of $x$? Express your answer as a common fraction.",
    ]
    assert matcher.find(samples, "question") == [[], [], []]


def test_agrees_with_brute_force_on_a_sample(workload, full_index):
    texts, _ = full_index
    rng = random.Random(3)
    leaked_items = {item for _, item in workload.leaks.values()}
    subset = [t for t in texts if t.item_id in leaked_items]
    subset += rng.sample([t for t in texts if t.item_id not in leaked_items], 250)
    items = [(t.item_id, tokenize(t.text)) for t in subset]
    for n in (30, 13):
        index = build_index(subset, n, 8)
        matcher = Matcher(index)
        by_id = {r["id"]: r for r in workload.rows}
        rows = [by_id[i] for i in workload.leaks] + rng.sample(workload.rows, 60)
        samples = [r["response"] for r in rows]
        got = [{h.item_id for h in hits} for hits in matcher.find(samples, "response")]
        want = [_brute_force(s, items, n, 8) for s in samples]
        assert got == want, n
        assert sum(map(len, want)) > 0
