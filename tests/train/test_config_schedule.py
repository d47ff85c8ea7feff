"""Config validation, shipped configs, the LR schedule and the DeepSpeed config."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyray.config import load_stage_config
from skyray.train.config import SFTConfig
from skyray.train.ds_config import build_ds_config
from skyray.train.flops import peak_flops, train_flops
from skyray.train.schedule import lr_multiplier, warmup_steps_for

ROOT = Path(__file__).resolve().parents[2]


def test_global_batch_is_checked():
    SFTConfig(micro_batch_size=4, gradient_accumulation_steps=1, num_workers=8)
    with pytest.raises(ValueError, match="global_batch_size 32 != micro_batch_size 4 x"):
        SFTConfig(micro_batch_size=4, gradient_accumulation_steps=2, num_workers=8)
    with pytest.raises(ValueError, match="bf16 needs use_gpu"):
        SFTConfig(precision="bf16", use_gpu=False)


def test_shipped_sft_configs_validate():
    files = sorted(ROOT.glob("configs/**/sft*.yaml"))
    assert len(files) >= 8  # local stage 1/2 + three base models x two stages
    for path in files:
        cfg = load_stage_config(path)
        assert isinstance(cfg, SFTConfig), path
        assert path.read_text().startswith("# skyray sft --config " + str(path.relative_to(ROOT)))
    lrs = {p.parent.name: load_stage_config(p).learning_rate for p in files if "paper" in p.parts}
    # the paper's learning rates; the other base models (LLaMA3-8B, Llemma-7B, Mixtral-8x7B:
    # the paper gives none) follow their family, as their configs' comments say
    assert lrs == {
        "llama2-7b": 2e-5,
        "mistral-7b": 2e-6,
        "deepseekmath-7b": 2e-6,
        "llama3-8b": 2e-5,
        "llemma-7b": 2e-5,
        "mixtral-8x7b": 2e-6,
    }


def test_warmup_then_cosine_to_the_floor():
    kw = dict(total_steps=100, warmup_steps=warmup_steps_for(100, 0.03), schedule="cosine")
    assert kw["warmup_steps"] == 3
    assert [lr_multiplier(s, **kw) for s in range(4)] == [0.0, 1 / 3, 2 / 3, 1.0]
    assert lr_multiplier(100, **kw) == pytest.approx(0.0)
    assert lr_multiplier(51, **kw) == pytest.approx(0.5, abs=0.02)
    assert lr_multiplier(100, **kw, min_ratio=0.1) == pytest.approx(0.1)
    lin = dict(total_steps=10, warmup_steps=0, schedule="linear")
    assert lr_multiplier(5, **lin) == pytest.approx(0.5)
    assert lr_multiplier(7, total_steps=10, warmup_steps=0, schedule="constant") == 1.0


def test_deepspeed_config_matches_the_recipe():
    gpu = build_ds_config(SFTConfig(), world_size=8)
    assert gpu["train_batch_size"] == 32 and gpu["bf16"]["enabled"]
    assert gpu["zero_optimization"]["stage"] == 3
    assert gpu["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"]
    cpu = SFTConfig(use_gpu=False, num_workers=2, micro_batch_size=2, global_batch_size=4)
    assert not build_ds_config(cpu, world_size=2)["bf16"]["enabled"]


def test_flops_and_peak():
    # 6N per token plus causal attention 6*L*d*s^2 per sample
    assert train_flops([10], num_params=100, num_layers=2, hidden_size=4) == 6000 + 4800
    assert peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert peak_flops("NVIDIA A800-SXM4-80GB") == 312e12
    assert peak_flops("mystery") is None and peak_flops("mystery", 100.0) == 1e14
