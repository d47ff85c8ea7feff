"""Real Ray Train + DeepSpeed ZeRO-3 runs on CPU (2 workers, gloo) with the tiny model.

Three fits in all: stage 1 through the ``skyray sft`` CLI (loss falls, export == trained weights,
manifest links the data), a killed-and-restarted run (the loss curve continues), and stage 2
through the Ray-free loop (starts from stage 1's export).
"""

from __future__ import annotations

import json

import pytest

from skyray.runs import Step
from skyray.train.trainer import METRICS_FILE, read_metrics
from tests.train.conftest import ROOT, sample_rows, write_curated

STAGE1 = str(ROOT / "configs" / "local" / "sft-stage1.yaml")


def losses(records: list[dict]) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in records if "loss" in r}


def param_sums(model) -> dict[str, list[float]]:
    return {
        n: [float(p.detach().double().sum()), float(p.detach().double().abs().sum())]
        for n, p in model.named_parameters()
    }


@pytest.fixture(scope="module")
def stage1(ray_cluster, tiny_model_dir, tmp_path_factory):
    """Stage 1 via the CLI: 4 samples = one global batch, repeated for 8 epochs."""
    from skyray.cli import main

    run = tmp_path_factory.mktemp("run")
    data = write_curated(run, sample_rows(4, stage=1) + sample_rows(3, stage=2))
    code = main(
        [
            "sft",
            "--config",
            STAGE1,
            "--run-dir",
            str(run),
            "--data",
            str(data.parents[1]),  # the step folder, as the README says: kept/ only is read
            f"model={tiny_model_dir}",
            "packing=false",
            "micro_batch_size=2",
            "gradient_accumulation_steps=1",
            "global_batch_size=4",
            "num_epochs=8",
            "max_steps=0",
            "max_length=128",
            "learning_rate=3.0e-3",
            "lr_schedule=constant",
            "warmup_ratio=0.0",
            "save_every_steps=4",
        ]
    )
    assert code == 0
    return run, data, Step(run, 4, "sft")


def test_stage1_loss_falls_and_export_matches_trained_weights(stage1, tiny_model_dir):
    import torch
    from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run, data, step = stage1
    manifest = step.manifest()
    assert manifest["rows"] == {"kept": 4, "other-stage": 3}
    link = manifest["dataset"]
    assert link["manifest"] == str(data.parents[1] / "manifest.json")
    assert link["step_fingerprint"] == Step(run, 3, "curate").manifest()["fingerprint"]

    curve = losses(read_metrics(step.path / METRICS_FILE))
    assert sorted(curve) == list(range(1, 9))  # 1 step per epoch, 8 epochs
    assert curve[8] < 0.75 * curve[1], curve  # the same batch, learned
    assert all(curve[s + 1] < curve[s] for s in range(1, 8)), curve

    # the export reloads with plain transformers and equals the trained ZeRO-3 shards
    exported = AutoModelForCausalLM.from_pretrained(step.path / "model").eval()
    tok = AutoTokenizer.from_pretrained(step.path / "model")
    trained = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    state = get_fp32_state_dict_from_zero_checkpoint(manifest["checkpoint"])
    base_logits = None
    ids = tok("What is 2 + 3?", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        base_logits = trained(ids).logits
        trained.load_state_dict(state, strict=True)
        torch.testing.assert_close(exported(ids).logits, trained(ids).logits, atol=0, rtol=0)
    assert not torch.allclose(exported(ids).logits, base_logits, atol=1e-3)  # it did train
    preflight = (step.path / "preflight.txt").read_text()
    assert preflight.count("[[") == 4 and "Janet" not in preflight  # dropped/ never read


def test_killed_run_restarts_from_its_checkpoint(ray_cluster, tiny_model_dir, tmp_path):
    """A run dies after step 3 (checkpoint at step 2); rerunning the same command resumes at
    step 2 (the newest complete checkpoint on disk, even when Ray lost its registration) and
    replays step 3 with the same loss and learning rate, then finishes."""
    from ray.train import TrainingFailedError

    from skyray.train.config import SFTConfig
    from skyray.train.trainer import run_sft

    data = write_curated(tmp_path, sample_rows(24, stage=1))
    cfg = SFTConfig(
        model=str(tiny_model_dir),
        use_gpu=False,
        num_workers=2,
        micro_batch_size=1,
        gradient_accumulation_steps=1,
        global_batch_size=2,
        num_epochs=1,
        max_length=128,
        learning_rate=1e-3,
        warmup_ratio=0.2,
        save_every_steps=2,
        max_failures=0,
        fail_once_at_step=3,
    )
    with pytest.raises(TrainingFailedError):
        run_sft(cfg, tmp_path, 4, data)
    step = Step(tmp_path, 4, "sft")
    first = read_metrics(step.path / METRICS_FILE)
    assert not (step.path / "_SUCCESS").exists()
    assert max(losses(first)) == 3
    # Ray registers a checkpoint only once its controller has polled every worker's report; a
    # failure (or a kill) before that poll loses the registration on a busy machine. Make that
    # loss certain: drop Ray's record. The step-2 checkpoint is still complete on disk.
    snapshots = list((step.path / "ray").rglob("checkpoint_manager_snapshot.json"))
    for snapshot in snapshots:
        snapshot.unlink()
    assert len(list((step.path / "ray").rglob("_skyray_rank*.json"))) == 2  # both ranks marked

    run_sft(cfg, tmp_path, 4, data)  # the restart
    records = read_metrics(step.path / METRICS_FILE)
    starts = [r for r in records if r.get("event") == "start"]
    assert [s["resumed_at"] for s in starts] == [None, 2]
    second = [r for r in records[len(first) :] if "loss" in r]
    assert [r["step"] for r in second] == list(range(3, starts[0]["total_steps"] + 1))
    replayed = next(r for r in first if r.get("step") == 3)
    assert second[0]["loss"] == pytest.approx(replayed["loss"], rel=1e-6)
    assert second[0]["lr"] == pytest.approx(replayed["lr"], rel=1e-12)
    assert step.manifest()["attempts"] == 2
    assert (step.path / "model" / "model.safetensors").is_file()


def test_stage2_starts_from_stage1_export_without_ray(stage1, tiny_model_dir, tmp_path):
    """Stage 2 = same recipe, model: <stage-1 step folder>; run by the Ray-free loop."""
    from transformers import AutoModelForCausalLM

    from skyray.config import load_config
    from skyray.train.config import SFTConfig
    from skyray.train.standalone import run_local

    run, data, step1 = stage1
    cfg = load_config(
        SFTConfig,
        ROOT / "configs" / "local" / "sft-stage2.yaml",
        [
            f"model={step1.path}",
            "num_workers=1",
            "micro_batch_size=1",
            "gradient_accumulation_steps=1",
            "global_batch_size=1",
            "max_steps=2",
            "max_length=128",
            "learning_rate=1.0e-3",
            "warmup_ratio=0.0",
            "record_initial_digest=true",
        ],
    )
    export = run_local(cfg, data, tmp_path / "stage2")
    records = read_metrics(tmp_path / "stage2" / METRICS_FILE)
    start = next(r for r in records if r.get("event") == "start")
    assert start["data"] == {"kept": 3, "other-stage": 4}
    digest = next(r["digest"] for r in records if r.get("event") == "initial_digest")
    stage1_weights = param_sums(AutoModelForCausalLM.from_pretrained(step1.path / "model"))
    base_weights = param_sums(AutoModelForCausalLM.from_pretrained(tiny_model_dir))
    assert digest.keys() == stage1_weights.keys()
    for name, sums in digest.items():
        assert sums == pytest.approx(stage1_weights[name], rel=1e-9, abs=1e-9), name
    assert any(
        base_weights[n] != pytest.approx(s, rel=1e-6) for n, s in digest.items()
    )  # control: stage 1 is not the base model
    stage2_weights = param_sums(AutoModelForCausalLM.from_pretrained(export))
    assert stage2_weights != stage1_weights  # and stage 2 trained on from there
    assert json.loads((export / "config.json").read_text())["model_type"] == "llama"


@pytest.mark.slow
def test_worker_failure_is_recovered_within_the_run(ray_cluster, tiny_model_dir, tmp_path):
    """FailureConfig: the worker group dies after step 3, Ray Train restarts it from the
    step-2 checkpoint inside the same fit, and step 3 is replayed identically."""
    from skyray.train.config import SFTConfig
    from skyray.train.trainer import run_sft

    data = write_curated(tmp_path, sample_rows(24, stage=1))
    cfg = SFTConfig(
        model=str(tiny_model_dir), use_gpu=False, num_workers=2, micro_batch_size=1,
        gradient_accumulation_steps=1, global_batch_size=2, num_epochs=1, max_length=128,
        learning_rate=1e-3, warmup_ratio=0.2, save_every_steps=2, max_failures=1,
        fail_once_at_step=3,
    )  # fmt: skip
    step_dir = run_sft(cfg, tmp_path, 4, data)
    records = read_metrics(step_dir / METRICS_FILE)
    assert [r["resumed_at"] for r in records if r.get("event") == "start"] == [None, 2]
    third = [r for r in records if r.get("step") == 3 and "loss" in r]
    assert len(third) == 2 and third[1]["loss"] == pytest.approx(third[0]["loss"], rel=1e-6)
    assert Step(tmp_path, 4, "sft").manifest()["attempts"] == 2
