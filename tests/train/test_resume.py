"""Choosing the checkpoint to resume from: the newest one every rank marked complete on storage
(real pyarrow local filesystem; Ray Train's registration plays no part)."""

from __future__ import annotations

from pyarrow.fs import LocalFileSystem

from skyray.train.resume import checkpoint_step, newest_complete, write_marker


def make_checkpoint(root, name: str, step: int, ranks: list[int], world: int = 2) -> str:
    folder = root / name
    (folder / f"step-{step}").mkdir(parents=True)
    (folder / "latest").write_text(f"step-{step}")
    for rank in ranks:
        write_marker(LocalFileSystem(), str(folder), rank, world, step)
    return str(folder)


def test_newest_complete_checkpoint_wins_over_partial_and_older(tmp_path):
    fs = LocalFileSystem()
    make_checkpoint(tmp_path, "checkpoint_a", 2, [0, 1])
    newest = make_checkpoint(tmp_path, "checkpoint_b", 4, [1, 0])
    make_checkpoint(tmp_path, "checkpoint_c", 6, [0])  # rank 1 died before its upload finished
    make_checkpoint(tmp_path, "checkpoint_d", 8, [])  # folder only, nothing marked
    assert newest_complete(fs, str(tmp_path), world=2) == (newest, 4)
    assert checkpoint_step(fs, newest) == 4
    assert newest_complete(fs, str(tmp_path), world=4) is None  # another world size: unusable
    assert newest_complete(fs, str(tmp_path / "missing"), world=2) is None


def test_a_folder_with_markers_of_two_steps_is_not_complete(tmp_path):
    fs = LocalFileSystem()
    folder = make_checkpoint(tmp_path, "checkpoint_a", 2, [0])
    write_marker(fs, folder, 1, 2, 4)
    assert newest_complete(fs, str(tmp_path), world=2) is None
