"""The demo summary's claims: verdicts and numbers from eval reports and the leak audit."""

from skyray.data.miniworld.splits import split_problems
from skyray.testing.miniworld.claims import (
    leak_claim,
    render_summary,
    scaling_claim,
    selfcompare_claim,
    stage2_claim,
)
from skyray.testing.miniworld.leaks import classify


def test_scaling_claim_needs_separated_end_intervals():
    rising = scaling_claim([(500, (10, 300)), (1000, (40, 300)), (2000, (90, 300))])
    assert (
        rising.held and "rose monotonically" in rising.evidence and "lies above" in rising.evidence
    )
    flat = scaling_claim([(500, (30, 300)), (2000, (36, 300))])
    assert flat.held is False and "overlaps" in flat.evidence


def test_stage2_leak_and_selfcompare_claims():
    assert stage2_claim(2000, (5, 120), (20, 120)).held
    same = stage2_claim(2000, (20, 120), (20, 120))
    assert same.held is False and same.markdown().startswith(
        "- **Stage 2 on hard problems lifts levels 4-5: did not hold.**"
    )
    # a rise inside the intervals (the demo's 27/120 -> 29/120) is not shown, not held
    noise = stage2_claim(1200, (27, 120), (29, 120))
    assert noise.held is False and ": not shown.**" in noise.markdown()
    assert "(the intervals overlap)" in noise.evidence
    fell = selfcompare_claim((78, 300), (61, 300))
    assert fell.held is False and ": did not hold.**" in fell.markdown()
    rose = selfcompare_claim((30, 300), (90, 300))
    assert rose.held and ": held.**" in rose.markdown() and "apart" in rose.evidence
    counts = {c: {"rows": 1, "dropped": 1} for c in ("planted", "paraphrased", "derived")}
    audit = {
        "leaks": {"planted": {"s1": "miniworld-test:L1:0003"}},
        "counts": counts | {"clean": {"rows": 9, "dropped": 0}},
        "ok": True,
    }
    claim = leak_claim(audit)
    assert claim.held and "miniworld-test:L1:0003" in claim.evidence
    assert selfcompare_claim(None, None).held is None
    text = render_summary([claim], ["wall time 10 min"])
    assert text.startswith("# What this run shows") and "held" in text


def test_leak_classes_follow_wording_and_lineage():
    from dataclasses import replace

    from skyray.data.miniworld.text import parse, render

    item = split_problems("test")[7]
    puzzle = parse(item.problem).build(0)
    other = render(replace(puzzle, style=1 - puzzle.style))
    train = split_problems("train")
    rows = [
        {"id": "a", "question": item.problem, "parent_id": ""},
        {"id": "b", "question": other, "parent_id": "a"},
        {"id": "c", "question": train[0].problem, "parent_id": "a"},
        {"id": "d", "question": train[1].problem, "parent_id": "c"},
        {"id": "e", "question": train[2].problem, "parent_id": ""},
        {"id": "f", "question": "not a problem", "parent_id": ""},
    ]
    found = classify(rows)
    assert found["planted"] == {"a": item.id} and found["paraphrased"] == {"b": item.id}
    assert found["derived"] == {"c": item.id, "d": item.id}
