"""The DeepSpeed config of a run, derived from :class:`SFTConfig` (no "auto" values left)."""

from __future__ import annotations

from typing import Any

from skyray.train.config import SFTConfig


def build_ds_config(cfg: SFTConfig, world_size: int) -> dict[str, Any]:
    """ZeRO config: bf16 on GPUs, fp32 on CPU; a client AdamW (so no CPU-Adam op is compiled)."""
    zero: dict[str, Any] = {"stage": cfg.zero_stage}
    if cfg.zero_stage == 3:
        zero.update(
            overlap_comm=cfg.use_gpu,
            contiguous_gradients=True,
            reduce_bucket_size=50_000_000,
            stage3_prefetch_bucket_size=50_000_000,
            stage3_param_persistence_threshold=100_000,
            # gathers the full weights on rank 0 for the Hugging Face export
            stage3_gather_16bit_weights_on_model_save=True,
        )
    return {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation_steps,
        "train_batch_size": cfg.micro_batch_size * cfg.gradient_accumulation_steps * world_size,
        "gradient_clipping": cfg.max_grad_norm,
        "bf16": {"enabled": cfg.dtype_name == "bf16"},
        "fp16": {"enabled": False},
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,
        "steps_per_print": 1_000_000_000,  # we log ourselves
        "wall_clock_breakdown": False,
    }
