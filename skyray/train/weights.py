"""The model side of the loop: attention choice, weight digests, the Hugging Face export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skyray.train.config import SFTConfig


def param_digest(engine: Any) -> dict[str, list[float]]:
    """Per-tensor (sum, sum of |x|) of the full weights (gathered under ZeRO-3)."""
    import deepspeed

    params = dict(engine.module.named_parameters())
    with deepspeed.zero.GatheredParameters(list(params.values()), modifier_rank=None):
        return {
            name: [float(p.detach().double().sum()), float(p.detach().double().abs().sum())]
            for name, p in params.items()
        }


def export_hf(engine: Any, tokenizer: Any, out_dir: Path, rank: int, zero3: bool) -> None:
    """Consolidate the weights on rank 0 and write a Hugging Face folder (safetensors +
    tokenizer) that transformers and vLLM load directly. Collective: every rank calls it."""
    state = engine._zero3_consolidated_16bit_state_dict() if zero3 else engine.module.state_dict()
    if rank != 0:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    model = engine.module
    model.config.use_cache = True  # generation wants the cache back
    model.save_pretrained(out_dir, state_dict=state)
    model.config.use_cache = False
    tokenizer.save_pretrained(out_dir)


def attn_implementation(cfg: SFTConfig) -> str:
    import importlib.util

    if cfg.attn_implementation != "auto":
        return cfg.attn_implementation
    if cfg.use_gpu and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"
