"""Epoch plans and batches: deterministic order, padded batches, and packed rows.

A *plan* lists, for one epoch, the sample indices of each micro-batch. It depends only on the
sample lengths, the seed and the epoch, so a resumed run rebuilds it and skips what it has done.

Packed rows put several samples end to end in one row with no padding; ``position_ids`` restart
at 0 for each sample. Passed with ``attention_mask=None``, Hugging Face models turn the restarts
into a block-diagonal causal mask (sdpa, eager) or variable-length kernels (flash attention), so a
sample never attends to its neighbours. The first label of every sample is a prompt token (no
loss), so no sample is trained to predict the next one.
"""

from __future__ import annotations

from typing import Any

from skyray.train.tokenize import IGNORE_INDEX, labels_for

Sample = tuple[list[int], int]  # (input_ids, prompt_len)


def epoch_order(num_samples: int, seed: int, epoch: int) -> list[int]:
    """A seeded permutation of ``range(num_samples)``, different for every epoch."""
    import numpy as np

    rng = np.random.default_rng([seed, epoch])
    return rng.permutation(num_samples).tolist()


def plan_epoch(
    lengths: list[int],
    *,
    seed: int,
    epoch: int,
    micro_batch_size: int,
    max_length: int,
    packing: bool,
) -> list[list[int]]:
    """Micro-batches of sample indices for one epoch.

    Unpacked: ``micro_batch_size`` samples each (a last partial batch is dropped). Packed: samples
    in epoch order, filled greedily into rows of at most ``micro_batch_size * max_length`` tokens.
    """
    order = epoch_order(len(lengths), seed, epoch)
    if not packing:
        full = len(order) // micro_batch_size * micro_batch_size
        return [order[i : i + micro_batch_size] for i in range(0, full, micro_batch_size)]
    budget = micro_batch_size * max_length
    plan: list[list[int]] = []
    row: list[int] = []
    used = 0
    for index in order:
        if row and used + lengths[index] > budget:
            plan.append(row)
            row, used = [], 0
        row.append(index)
        used += lengths[index]
    if row:
        plan.append(row)
    return plan


def pad_batch(samples: list[Sample], pad_id: int) -> dict[str, Any]:
    """Right-padded batch: input_ids, attention_mask, labels (pads carry no loss)."""
    import torch

    width = max(len(ids) for ids, _ in samples)
    input_ids = torch.full((len(samples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(samples), width), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(samples), width), dtype=torch.long)
    for row, (ids, prompt_len) in enumerate(samples):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(ids)] = torch.tensor(labels_for(ids, prompt_len))
        attention[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def pack_batch(samples: list[Sample]) -> dict[str, Any]:
    """One padding-free row: samples end to end, position ids restarting per sample."""
    import torch

    ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    for sample_ids, prompt_len in samples:
        if prompt_len < 1:
            raise ValueError("a packed sample needs at least one prompt token (no loss across)")
        ids.extend(sample_ids)
        labels.extend(labels_for(sample_ids, prompt_len))
        positions.extend(range(len(sample_ids)))
    return {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "position_ids": torch.tensor([positions], dtype=torch.long),
        "labels": torch.tensor([labels], dtype=torch.long),
    }


def sequence_lengths(batch: dict[str, Any]) -> list[int]:
    """Lengths of the real (non-pad) samples in a padded or packed batch (for FLOPs)."""
    if "position_ids" in batch:
        starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist()
        ends = starts[1:] + [batch["position_ids"].shape[1]]
        return [e - s for s, e in zip(starts, ends, strict=True)]
    return batch["attention_mask"].sum(dim=1).tolist()


def token_loss_sum(logits: Any, labels: Any) -> tuple[Any, Any]:
    """(sum of next-token cross entropy over loss-bearing positions, their count), in fp32."""
    import torch.nn.functional as F

    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    loss = F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.shape[-1]),
        shift_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    return loss, (shift_labels != IGNORE_INDEX).sum()
