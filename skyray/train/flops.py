"""Training FLOPs and MFU: 6N per token plus causal attention, over non-padding tokens only."""

from __future__ import annotations

from typing import Any

# dense bf16 peak TFLOP/s per device (no sparsity), by a substring of the device name
PEAK_BF16_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,
    "H800": 989.0,
    "A800": 312.0,
    "A100": 312.0,
    "L40S": 362.0,
    "A10G": 125.0,
}


def model_shape(config: Any, num_params: int) -> dict[str, int]:
    """Non-embedding parameter count (input embedding excluded, LM head kept), layers, width."""
    embed = config.vocab_size * config.hidden_size
    return {
        "num_params": num_params - embed,
        "num_layers": config.num_hidden_layers,
        "hidden_size": config.hidden_size,
    }


def train_flops(
    seq_lens: list[int], *, num_params: int, num_layers: int, hidden_size: int
) -> float:
    """Forward + backward FLOPs of samples of these lengths: 6·N·s for the weights plus
    6·L·d·s² for causal attention (QKᵀ and AV, half the square, times 3 for the backward)."""
    return float(sum(6 * num_params * s + 6 * num_layers * hidden_size * s * s for s in seq_lens))


def peak_flops(device_name: str, override_tflops: float = 0.0) -> float | None:
    """Peak bf16 FLOP/s of one device, or None when unknown (then MFU is not reported)."""
    if override_tflops > 0:
        return override_tflops * 1e12
    for key, tflops in PEAK_BF16_TFLOPS.items():
        if key in device_name.upper():
            return tflops * 1e12
    return None
