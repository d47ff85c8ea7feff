"""Every kept row goes to exactly one rank, whatever order the batches come in."""

from __future__ import annotations

import pyarrow as pa

from skyray.train.shard import locate, shard_rows


def table(keys: list[str], drops: list[str]) -> pa.Table:
    return pa.table(
        {
            "key": keys,
            "input_ids": [[i, i + 1] for i in range(len(keys))],
            "prompt_len": [1] * len(keys),
            "drop": drops,
        }
    )


def test_split_is_exact_and_independent_of_block_order():
    keys = [f"k{i:02d}" for i in range(11)]
    drops = ["" if i % 4 else "too-long" for i in range(11)]
    whole = table(keys, drops)
    forward = lambda: iter(whole.to_batches(max_chunksize=3))  # noqa: E731
    backward = lambda: reversed(whole.to_batches(max_chunksize=2))  # noqa: E731
    shards = [shard_rows(forward, rank, 3) for rank in range(3)]
    assert [s for s, _ in shards] == [shard_rows(backward, r, 3)[0] for r in range(3)]
    got = sorted(tuple(ids) for samples, _ in shards for ids, _ in samples)
    assert got == sorted((i, i + 1) for i in range(11) if drops[i] == "")
    assert max(len(s) for s, _ in shards) - min(len(s) for s, _ in shards) <= 1
    assert shards[0][1] == {"too-long": 3, "kept": 8}


def test_locate_maps_global_steps_to_epochs():
    assert [locate(s, [3, 2]) for s in range(5)] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
