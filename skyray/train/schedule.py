"""Learning-rate schedule: linear warmup, then cosine / linear decay or constant.

Same shape as the Hugging Face Trainer's schedules (optimizer step ``k`` in warmup gets
``k / warmup_steps`` of the peak), so runs compare with the paper's setup.
"""

from __future__ import annotations

import math


def warmup_steps_for(total_steps: int, warmup_ratio: float) -> int:
    """Warmup length from a ratio of all optimizer steps (rounded up, as HF does)."""
    return math.ceil(total_steps * warmup_ratio)


def lr_multiplier(
    step: int, *, total_steps: int, warmup_steps: int, schedule: str, min_ratio: float = 0.0
) -> float:
    """Fraction of the peak learning rate at optimizer step ``step`` (0-based)."""
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if schedule == "cosine":
        decay = 0.5 * (1.0 + math.cos(math.pi * progress))
    elif schedule == "linear":
        decay = 1.0 - progress
    else:
        raise ValueError(f"unknown lr schedule {schedule!r}")
    return min_ratio + (1.0 - min_ratio) * decay
