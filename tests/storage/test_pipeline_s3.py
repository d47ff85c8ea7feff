"""The pipeline on an S3 storage root (moto on 127.0.0.1): every step's artifacts land under
``s3://bucket/prefix/<run>/step-N-*/`` (the synth cache and Ray Train checkpoints written there
directly), and a rerun from a fresh node (empty staging) skips every finished step."""

from __future__ import annotations

import shutil

import pytest

from skyray import storage
from skyray.config import load_config
from skyray.pipeline import PipelineConfig, run_pipeline
from skyray.serve.server import free_port
from tests.storage.conftest import s3_files

SMALL = [
    "local_teacher=true",
    "seeds.sources=[math-train]",
    "seeds.max_per_source=12",
    "synth.teacher.model=deterministic",
    "synth.num_seed_synthetic=12",
    "synth.num_normal=8",
    "synth.num_hard=4",
    "synth.coreset.fraction=0.5",
    "synth.coreset.use_ray=false",
    "synth.num_workers=1",
    "curate.num_workers=1",
    "curate.worker_cpus=0.5",
]


def _cfg(storage_root: str, steps: str, port: int, *extra: str) -> PipelineConfig:
    return load_config(
        PipelineConfig,
        None,
        [
            "run_dir=runs/s3run",
            f"storage={storage_root}",
            f"steps=[{steps}]",
            f"synth.teacher.base_url=http://127.0.0.1:{port}/v1",
            *SMALL,
            *extra,
        ],
    )


def _markers(run: str) -> dict[str, str]:
    return {
        f.split("/")[0]: storage.read_text(f"{run}/{f}")
        for f in s3_files(run)
        if f.endswith("/_SUCCESS")
    }


def test_seeds_synth_curate_on_s3_and_a_rerun_skips(s3_root, ray_cluster, data_dir):
    run, port = f"{s3_root}/runs/s3run", free_port()  # one teacher URL: the config stays put
    done = run_pipeline(_cfg(s3_root, "seeds, synth, curate", port))
    assert [storage.remote_of(p) for p in done.values()] == [
        f"{run}/step-1-seeds", f"{run}/step-2-synth", f"{run}/step-3-curate",
    ]  # fmt: skip
    files = s3_files(run)
    for name in ("step-1-seeds", "step-2-synth", "step-3-curate"):
        assert f"{name}/manifest.json" in files and f"{name}/_SUCCESS" in files
    assert "step-1-seeds/seeds.parquet" in files
    assert "step-2-synth/synthetic.parquet" in files
    assert "step-2-synth/seed_synthetic.parquet" in files
    assert any(f.startswith("step-2-synth/cache/seg-") for f in files)  # written there live
    assert any(f.startswith("step-3-curate/kept/part-") for f in files)
    assert "step-3-curate/report.json" in files
    assert not any("/_work/" in f for f in files)  # curation's intermediates are cleaned up
    manifest = storage.read_json(f"{run}/step-3-curate/manifest.json")
    synth = storage.read_json(f"{run}/step-2-synth/manifest.json")
    assert manifest["rows"]["in"] == synth["rows"]["samples"] > 0
    assert "AWS" not in str(manifest) and "skyray-test-secret" not in str(synth)
    before = _markers(run)
    # another node, or a later job: nothing staged locally; every step is skipped
    shutil.rmtree(storage.staging_root())
    again = run_pipeline(_cfg(s3_root, "seeds, synth, curate", port))
    assert list(again) == ["seeds", "synth", "curate"]
    assert _markers(run) == before
    assert s3_files(run) == files


@pytest.mark.slow  # ~2 min on 2 CPUs: a ZeRO-3 fit on 2 Ray Train workers and an evaluation
def test_sft_checkpoints_export_and_eval_on_s3(s3_root, ray_cluster, data_dir, tiny_model_dir):
    run, port = f"{s3_root}/runs/s3run", free_port()  # one teacher URL: the config stays put
    sft = [
        f"sft.model={tiny_model_dir}",
        "sft.num_workers=2",
        "sft.use_gpu=false",
        "sft.cpus_per_worker=0.5",
        "sft.micro_batch_size=2",
        "sft.gradient_accumulation_steps=1",
        "sft.global_batch_size=4",
        "sft.max_steps=2",
        "sft.save_every_steps=1",
        "sft.max_length=2048",
        "eval.benchmarks=[gsm8k-test]",
        "eval.limit=3",
        "eval.generation.backend=transformers",
        "eval.generation.sampling.max_new_tokens=8",
    ]
    steps = "seeds, synth, curate, sft, eval"
    run_pipeline(_cfg(s3_root, steps, port, *sft))
    files = s3_files(run)
    assert "step-4-sft/model/config.json" in files
    assert any(f.endswith(".safetensors") for f in files if f.startswith("step-4-sft/model/"))
    checkpoints = [f for f in files if f.startswith("step-4-sft/ray/") and "checkpoint_" in f]
    assert checkpoints  # Ray Train wrote them to the storage itself
    assert "step-4-sft/manifest.json" in files and "step-4-sft/_SUCCESS" in files
    for name in ("report.md", "report.json", "manifest.json", "_SUCCESS"):
        assert f"step-5-eval/{name}" in files
    manifest = storage.read_json(f"{run}/step-4-sft/manifest.json")
    assert manifest["checkpoint"].startswith(s3_root.removeprefix("s3://"))
    before = _markers(run)
    shutil.rmtree(storage.staging_root())
    run_pipeline(_cfg(s3_root, steps, port, *sft))
    assert _markers(run) == before
