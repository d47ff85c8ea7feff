"""Two self-compare rounds chain: the tiny model answers round 1 (transformers backend), ZeRO-3
SFT on round 1's samples (2 Ray Train workers, CPU) writes a model, and that model answers
round 2."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from skyray.config import load_config
from skyray.selfcompare.config import SelfCompareConfig
from skyray.selfcompare.run import run_selfcompare

SFT = [
    "sft.max_length=1024",
    "sft.num_workers=2",
    "sft.use_gpu=false",
    "sft.cpus_per_worker=1",
    "sft.micro_batch_size=1",
    "sft.gradient_accumulation_steps=1",
    "sft.global_batch_size=2",
    "sft.max_steps=1",
]


@pytest.mark.slow  # one ZeRO-3 fit on 2 Ray Train workers: ~60 s warm, ~4 min on 2 busy cores
def test_round_two_answers_with_round_one_model(tmp_path, ray_cluster, tiny_model_dir, seeds_file):
    cfg = load_config(
        SelfCompareConfig,
        None,
        [
            f"model={tiny_model_dir}",
            f"problems=[{seeds_file}]",
            "limit=6",
            "num_rounds=2",
            "generation.sampling.max_new_tokens=8",
            "teacher_backend=local",
            "train_last_round=false",
            *SFT,
        ],
    )
    path = run_selfcompare(cfg, tmp_path / "run")
    r1 = pq.read_table(path / "round-1/step-1-answer/answers.parquet").to_pylist()
    r2 = pq.read_table(path / "round-2/step-1-answer/answers.parquet").to_pylist()
    sft1 = path / "round-1" / "step-3-sft"
    assert (sft1 / "_SUCCESS").is_file() and not (path / "round-2" / "step-3-sft").exists()
    assert {r["model"] for r in r1} == {str(tiny_model_dir)}
    assert {r["model"] for r in r2} == {str(sft1 / "model")}  # round 1's SFT export answers
    assert not {r["problem_id"] for r in r1} & {r["problem_id"] for r in r2}  # sub-datasets
    sft_manifest = json.loads((sft1 / "manifest.json").read_text())
    assert (
        Path(sft_manifest["inputs"][0]["path"]) == path / "round-1/step-2-compare/samples.parquet"
    )
    report = json.loads((path / "report.json").read_text())
    assert [r["round"] for r in report["rounds"]] == [1, 2]
    assert report["rounds"][0]["sft"]["path"] == str(sft1)
    assert report["final_model"] == str(sft1)
    samples = pq.read_table(path / "samples.parquet").to_pylist()
    assert {s["round"] for s in samples} <= {1, 2} and len(samples) == report["totals"]["samples"]
    assert all(s["answer_model"] in (str(tiny_model_dir), str(sft1 / "model")) for s in samples)
    # a rerun of the finished stage is skipped; the folders stay as they are
    assert run_selfcompare(cfg, tmp_path / "run") == path
