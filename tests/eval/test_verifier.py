"""Verifier scoring: the logprob verifier on the tiny model (in-process and as a Ray Data stage,
identical scores), the LLM-judge path through a real Ray Serve deployment, and selection against
a same-size random baseline."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from skyray.eval.verifier import (
    VerifierConfig,
    parse_verdict,
    select_by_verifier,
    verify_rows,
)
from skyray.eval.verify_io import run_verify
from skyray.llm.generation import GenerationConfig, OpenAIConfig, SamplingConfig
from skyray.records import SyntheticSample

SAMPLES = [
    SyntheticSample(
        question=f"What is {a} + {b}?",
        response=f"{a} + {b} = {a + b + (i % 2)}.\nThe answer is {a + b + (i % 2)}",
        seed_id=f"seed-{i}",
        operator="metamath.rephrase",
        teacher="deterministic",
        template_version="v1",
        level=1 + i % 5,
    ).to_row()
    for i, (a, b) in enumerate([(2, 3), (4, 4), (10, 7), (1, 1), (6, 3), (8, 9)])
]


def _logprob_cfg(model, **kw) -> VerifierConfig:
    return VerifierConfig(
        method="logprob",
        generation=GenerationConfig(backend="transformers", model=str(model)),
        batch_size=4,
        **kw,
    )


@pytest.mark.parametrize(
    "text,score",
    [
        ("Yes", 1.0),
        (" yes, it is", 1.0),
        ("No.", 0.0),
        ("**No**", 0.0),
        ("Maybe", None),
        ("", None),
    ],
)
def test_parse_verdict(text, score):
    assert parse_verdict(text) == score


def test_logprob_scores_are_probabilities_and_deterministic(tiny_model_dir):
    cfg = _logprob_cfg(tiny_model_dir)
    a = verify_rows(SAMPLES, cfg)
    b = verify_rows(SAMPLES, cfg)
    scores = [r["verifier_score"] for r in a]
    assert scores == [r["verifier_score"] for r in b]
    assert all(0.0 < s < 1.0 for s in scores)
    assert len(set(scores)) > 1  # different pairs, different scores
    assert all(r["verifier_label"] == (r["verifier_score"] >= 0.5) for r in a)
    assert a[0]["id"] == SAMPLES[0]["id"]  # input columns are kept

    short = verify_rows(
        SAMPLES[:2],
        _logprob_cfg(tiny_model_dir).__class__(
            method="logprob",
            generation=GenerationConfig(
                backend="transformers", model=str(tiny_model_dir), max_prompt_tokens=20
            ),
        ),
    )
    assert all(
        r["verifier_score"] is None and r["verifier_error"].startswith("prompt-too-long")
        for r in short
    )


def test_ray_data_stage_matches_in_process(tiny_model_dir, ray_cluster, tmp_path):
    cfg = _logprob_cfg(tiny_model_dir, num_select=3, seed=1)
    src = tmp_path / "samples.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in SAMPLES))
    stats = run_verify(cfg, src, tmp_path / "ray", use_ray=True)
    in_process = {r["id"]: r["verifier_score"] for r in verify_rows(SAMPLES, cfg)}
    scored = pq.read_table(tmp_path / "ray" / "scored.parquet").to_pylist()
    assert len(scored) == len(SAMPLES)
    for row in scored:
        assert row["verifier_score"] == pytest.approx(in_process[row["id"]], abs=1e-6)
    chosen = pq.read_table(tmp_path / "ray" / "selected-verifier.parquet").to_pylist()
    best = sorted(in_process, key=lambda k: -in_process[k])[:3]
    assert sorted(r["id"] for r in chosen) == sorted(best)
    assert pq.read_table(tmp_path / "ray" / "selected-random.parquet").num_rows == 3
    assert stats["selected"] == 3 and stats["random"]["n"] == 3 and stats["failed"] == 0


def _judge_cfg(base_url: str, model: str) -> VerifierConfig:
    return VerifierConfig(
        method="judge",
        generation=GenerationConfig(
            backend="openai",
            model=model,
            sampling=SamplingConfig(max_new_tokens=3),
            openai=OpenAIConfig(base_url=base_url, concurrency=2),
        ),
        batch_size=3,
    )


def _check_judge_failures(stats, out) -> None:
    """The tiny model cannot answer Yes/No: every row must come back as a counted parse failure
    (never a crash, never a made-up score)."""
    scored = pq.read_table(out / "scored.parquet").to_pylist()
    assert len(scored) == 3
    for row in scored:
        assert row["verifier_score"] is None and row["verifier_error"].startswith("parse:")
    assert stats["failed"] == 3 and stats["failed_by_reason"] == {"parse": 3}
    assert stats["selected"] == 0


def test_judge_through_openai_endpoint(tiny_server, tmp_path):
    src = tmp_path / "samples.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in SAMPLES[:3]))
    stats = run_verify(_judge_cfg(tiny_server, "tiny"), src, tmp_path / "out")
    _check_judge_failures(stats, tmp_path / "out")


@pytest.mark.slow  # Ray Serve start-up plus a replica loading torch: ~30 s on 2 busy cores
def test_judge_through_ray_serve_replicas(tiny_model_dir, ray_cluster, tmp_path):
    from skyray.serve.server import ServeConfig, running_server

    serve_cfg = ServeConfig(
        backend="transformers",
        engine="ray",
        model_path=str(tiny_model_dir),
        model_name="judge",
        app_name="eval-judge",
        route_prefix="/judge",
        num_replicas=2,
        port=0,
    )
    src = tmp_path / "samples.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in SAMPLES[:3]))
    with running_server(serve_cfg) as base_url:
        stats = run_verify(_judge_cfg(base_url, "judge"), src, tmp_path / "out")
    _check_judge_failures(stats, tmp_path / "out")


def test_selection_against_random_baseline():
    rows = [
        {"id": f"r{i}", "level": lv, "verifier_score": s, "verifier_label": s >= 0.5}
        for i, (lv, s) in enumerate([(1, 0.9), (1, 0.8), (2, 0.7), (5, 0.2), (4, 0.1), (5, 0.4)])
    ] + [
        {
            "id": "bad",
            "level": 3,
            "verifier_score": None,
            "verifier_label": False,
            "verifier_error": "api: HTTP 500",
        }
    ]
    cfg = VerifierConfig(threshold=0.5, seed=3)
    chosen, baseline, stats = select_by_verifier(rows, cfg)
    assert [r["id"] for r in chosen] == ["r0", "r1", "r2"]
    assert len(baseline) == 3
    assert baseline == select_by_verifier(rows, cfg)[1]  # same seed, same random subset
    assert stats["verifier"]["mean_level"] == pytest.approx(4 / 3)
    assert stats["failed"] == 1 and stats["failed_by_reason"] == {"api": 1}
    top2, _, _ = select_by_verifier(rows, VerifierConfig(num_select=2))
    assert [r["id"] for r in top2] == ["r0", "r1"]


def test_bad_input(tmp_path, tiny_model_dir):
    with pytest.raises(FileNotFoundError):
        run_verify(_logprob_cfg(tiny_model_dir), tmp_path / "missing.parquet", tmp_path / "o")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n')
    with pytest.raises(ValueError, match="no column 'response'"):
        run_verify(_logprob_cfg(tiny_model_dir), bad, tmp_path / "o")
    with pytest.raises(ValueError, match="backend=transformers"):
        VerifierConfig(method="logprob")
