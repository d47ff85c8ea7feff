"""The demo summary's claims: verdicts and numbers from eval reports and the leak audit."""

from skyray.testing.miniworld.claims import (
    leak_claim,
    render_summary,
    scaling_claim,
    selfcompare_claim,
    stage2_claim,
)
from skyray.testing.miniworld.leaks import planted_leaks
from skyray.testing.miniworld.splits import split_problems


def test_scaling_claim_needs_separated_end_intervals():
    rising = scaling_claim([(500, (10, 300)), (1000, (40, 300)), (2000, (90, 300))])
    assert (
        rising.held and "rose monotonically" in rising.evidence and "lies above" in rising.evidence
    )
    flat = scaling_claim([(500, (30, 300)), (2000, (36, 300))])
    assert flat.held is False and "overlaps" in flat.evidence


def test_stage2_leak_and_selfcompare_claims():
    assert stage2_claim(2000, (5, 120), (20, 120)).held
    assert not stage2_claim(2000, (20, 120), (20, 120)).held
    audit = {
        "planted": {"s1": "miniworld-test:L1:0003"},
        "caught": {"s1": "miniworld-test:L1:0003"},
        "missed": [],
        "clean_dropped": [],
        "ok": True,
    }
    claim = leak_claim(audit)
    assert claim.held and "miniworld-test:L1:0003" in claim.evidence
    assert selfcompare_claim(None, None).held is None
    text = render_summary([claim], ["wall time 10 min"])
    assert text.startswith("# What this run shows") and "held" in text


def test_planted_leaks_match_either_wording_only():
    from dataclasses import replace

    from skyray.testing.miniworld.text import parse, render

    item = split_problems("test")[7]
    other = render(
        replace(parse(item.problem).build(0), style=1 - parse(item.problem).build(0).style)
    )
    train = split_problems("train")[0]
    found = planted_leaks({"a": item.problem, "b": other, "c": train.problem, "d": "not a problem"})
    assert found == {"a": item.id, "b": item.id}
