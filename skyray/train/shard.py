"""Which samples a rank trains on, and where a global step falls in the epochs.

Kept rows sorted by key (id + content hash); kept row ``i`` belongs to rank ``i % world_size``,
so the split never depends on file or block order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any


def shard_rows(
    batches: Callable[[], Iterator[Any]], rank: int, world: int
) -> tuple[list[tuple[list[int], int]], Counter]:
    """This rank's samples (in key order) and the drop counts over all rows.

    Two passes over ``batches()`` (Arrow batches, in any order): the sorted keys of the kept
    rows say that kept row ``i`` belongs to rank ``i % world``; the second pass decodes only this
    rank's rows. So the split never depends on file or block order, and no worker holds more
    than its own share of tokens."""
    keys, drops = [], Counter()
    for batch in batches():
        for key, drop in zip(
            batch.column("key").to_pylist(), batch.column("drop").to_pylist(), strict=True
        ):
            if drop:
                drops[drop] += 1
            else:
                keys.append(key)
    keys.sort()
    owned = set(keys[rank::world])
    mine: list[tuple[str, list[int], int]] = []
    for batch in batches():
        batch_keys = batch.column("key").to_pylist()
        batch_drops = batch.column("drop").to_pylist()
        picked = [
            i
            for i, (k, d) in enumerate(zip(batch_keys, batch_drops, strict=True))
            if not d and k in owned
        ]
        if not picked:
            continue
        ids = batch.column("input_ids").take(picked).to_pylist()
        plens = batch.column("prompt_len").take(picked).to_pylist()
        mine.extend((batch_keys[i], t, p) for i, t, p in zip(picked, ids, plens, strict=True))
    mine.sort(key=lambda item: item[0])
    drops["kept"] = len(keys)
    return [(ids, plen) for _, ids, plen in mine], drops


def locate(global_step: int, steps_per_epoch: list[int]) -> tuple[int, int]:
    """(epoch, step within the epoch) of a global optimizer step."""
    for epoch, steps in enumerate(steps_per_epoch):
        if global_step < steps:
            return epoch, global_step
        global_step -= steps
    raise AssertionError("global step past the end of training")
