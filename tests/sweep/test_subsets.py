"""Nested deterministic subsets: prefixes of one fixed order, independent of file layout."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skyray.config import load_config
from skyray.sweep.config import SweepConfig
from skyray.sweep.subsets import DATA_FILE, load_pool, random_order, verifier_order
from tests.sweep.conftest import curated_rows


def _ids(folder):
    return pq.read_table(folder / DATA_FILE)["id"].to_pylist()


def test_random_order_is_a_function_of_ids_only():
    keys = [f"id-{i}" for i in range(50)]
    order = [keys[i] for i in random_order(keys, seed=0)]
    shuffled = list(reversed(keys))
    assert [shuffled[i] for i in random_order(shuffled, seed=0)] == order
    assert [keys[i] for i in random_order(keys, seed=1)] != order  # the seed matters
    assert sorted(order) == sorted(keys)


def test_verifier_order_ranks_scores_and_leaves_out_unscored():
    keys = ["a", "b", "c", "d", "e"]
    order = verifier_order(keys, [0.2, None, 0.9, 0.5, float("nan")], seed=0)
    assert [keys[i] for i in order] == ["c", "d", "a"]


def test_subsets_are_nested_prefixes_and_layout_free(tmp_path, curated_data):
    from skyray.sweep.run import write_subsets

    # the same rows split over two files in another order give the same subsets
    rows = curated_rows(seed=11)
    other = tmp_path / "other"
    other.mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:20]), other / "b.parquet")
    pq.write_table(pa.Table.from_pylist(rows[20:]), other / "a.parquet")
    subsets = {}
    for name, data in (("one", curated_data), ("two", other)):
        cfg = load_config(
            SweepConfig,
            None,
            [f"data={data}", "sizes=[5, 10, 40]", "models=[{name: m}]", "sft.data_stage=1"],
        )
        write_subsets(cfg, tmp_path / name)
        subsets[name] = [_ids(tmp_path / name / "subsets" / f"random-n{n}") for n in (5, 10, 40)]
    small, mid, full = subsets["one"]
    assert subsets["two"] == subsets["one"]
    assert mid[:5] == small and full[:10] == mid and len(set(full)) == 40
    assert all(i.startswith("syn-1-") for i in full)  # stage-1 rows only
    manifest = (tmp_path / "one" / "subsets" / "random-n10" / "manifest.json").read_text()
    assert '"kept": 10' in manifest and '"pool": 40' in manifest


def test_stage2_rows_and_verifier_subsets(tmp_path):
    from skyray.sweep.run import write_subsets

    rows = curated_rows()
    for i, row in enumerate(rows):
        row["verifier_score"] = None if i % 5 == 0 else (i % 7) / 7
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "scored.parquet")
    cfg = load_config(
        SweepConfig,
        None,
        [
            f"data={tmp_path / 'scored.parquet'}",
            "sizes=[4, 8]",
            "selections=[random, verifier]",
            "stage2_sizes=[8]",
            "models=[{name: m}]",
            "sft.data_stage=1",
        ],
    )
    write_subsets(cfg, tmp_path / "sweep")
    subsets = tmp_path / "sweep" / "subsets"
    verifier = pq.read_table(subsets / "verifier-n8" / DATA_FILE).to_pylist()
    scores = [r["verifier_score"] for r in verifier]
    assert scores == sorted(scores, reverse=True) and None not in scores
    assert _ids(subsets / "verifier-n8")[:4] == _ids(subsets / "verifier-n4")
    assert sorted(_ids(subsets / "stage2")) == [f"syn-2-{i:03d}" for i in range(6)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["sizes=[10, 41]"], "size 41 is larger than the dataset: .* has 40 rows"),
        (["sizes=[4]", "sft.data_stage=3"], "empty subset: .* has no rows"),
        (["sizes=[4]", "selections=[verifier]"], "needs a verifier_score column"),
    ],
)
def test_bad_subsets_are_one_clear_error(tmp_path, curated_data, overrides, message):
    from skyray.sweep.run import write_subsets

    base = [f"data={curated_data}", "models=[{name: m}]", "sft.data_stage=1"]
    cfg = load_config(SweepConfig, None, base + overrides)
    with pytest.raises(ValueError, match=message):
        write_subsets(cfg, tmp_path)


def test_pool_without_stage_column_is_stage_one(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "stage"} for r in curated_rows(8, 0)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    assert len(load_pool(tmp_path / "d.parquet", 1).keys) == 8
    assert len(load_pool(tmp_path / "d.parquet", 2).keys) == 0
