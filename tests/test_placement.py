"""The node-side visibility probe and curation's refusal of missing pass-1 files, without a
cluster (the multi-node tests in tests/test_multinode.py run them on two Ray nodes)."""

from __future__ import annotations

import os

import pytest

from skyray.placement import NODE_LOCAL_ENV, sees


def test_a_node_sees_the_drivers_file_only_when_it_is_the_same_file(tmp_path, monkeypatch):
    shared = tmp_path / "shared" / "token"
    shared.parent.mkdir()
    shared.write_text("x")
    stat = shared.stat()
    monkeypatch.delenv(NODE_LOCAL_ENV, raising=False)
    assert sees([(str(shared), stat.st_size, stat.st_mtime_ns)]) == [True]
    other = (str(shared), stat.st_size, stat.st_mtime_ns + 1)  # another disk's file, same name
    missing = (str(tmp_path / "nowhere"), 0, 0)
    assert sees([other, missing]) == [False, False]
    monkeypatch.setenv(NODE_LOCAL_ENV, os.pathsep.join(["/elsewhere", str(tmp_path)]))
    assert sees([(str(shared), stat.st_size, stat.st_mtime_ns)]) == [False]


def test_curation_refuses_to_dedup_without_every_feature_file(tmp_path):
    """Pass-1 feature files written on a node whose disk the driver does not see used to be left
    out of deduplication silently."""
    from skyray.curate.run import _all_feature_files

    features = tmp_path / "features"
    features.mkdir()
    for i in (0, 2):
        (features / f"chunk-{i:06d}.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="1 of 3 feature files"):
        _all_feature_files(tmp_path, 3)
    assert len(_all_feature_files(tmp_path, 2)) == 2
