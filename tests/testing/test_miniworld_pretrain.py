"""The student's copy pretraining: its documents, the build that records it, and (slow) that
induction really forms within the step budget."""

import json
import math
import random

import pytest

from skyray.testing.miniworld.model import StudentConfig, build_student
from skyray.testing.miniworld.pretrain import CopyPretraining, copy_batch
from skyray.train.collate import pad_batch


def test_copy_documents_repeat_their_run_and_score_only_the_repeat():
    cfg = CopyPretraining(batch_size=32, min_run=5, max_run=9)
    vocab = list(range(3, 50))
    rows = copy_batch(random.Random(0), vocab, bos=0, cfg=cfg)
    assert len(rows) == 32
    lengths = set()
    batch = pad_batch(rows, pad_id=2)
    for row, (ids, prompt_len) in enumerate(rows):
        n = (len(ids) - 1) // 2
        lengths.add(n)
        assert 5 <= n <= 9 and len(ids) == 2 * n + 1 and prompt_len == n + 1
        assert ids[0] == 0 and ids[1 : n + 1] == ids[n + 1 :]
        assert set(ids[1:]) <= set(vocab)
        labels = batch["labels"][row].tolist()
        assert labels[: n + 1] == [-100] * (n + 1) and labels[n + 1 : len(ids)] == ids[n + 1 :]
        assert set(labels[len(ids) :]) <= {-100}  # the padding carries no loss
    assert len(lengths) > 1


def test_student_build_records_its_pretraining_and_never_overwrites(tmp_path):
    import torch
    from safetensors.torch import load_file

    plain = build_student(tmp_path / "plain", StudentConfig(pretrain_steps=0), log=lambda _: None)
    assert not (plain / "pretraining.json").exists()
    logged: list[str] = []
    student = build_student(tmp_path / "s", StudentConfig(pretrain_steps=3), log=logged.append)
    figures = json.loads((student / "pretraining.json").read_text())
    assert figures["steps"] == 3 and figures["max_steps"] == 3
    # before any copying the repeat costs about ln(vocab) nats a token
    assert abs(figures["repeat_loss_before"] - figures["no_copying_loss"]) < 1.0
    vocab = json.loads((student / "config.json").read_text())["vocab_size"]
    assert figures["no_copying_loss"] == pytest.approx(math.log(vocab - 3), abs=0.01)
    assert "copy pretraining: step 3, repeat loss" in logged[0]
    # 3 steps cannot form induction: the build says so instead of passing it off as pretrained
    assert "warning: the repeat's loss is still" in logged[-1] and "after 3 steps" in logged[-1]
    a, b = (load_file(d / "model.safetensors") for d in (plain, student))
    assert any(not torch.equal(a[k], b[k]) for k in a)  # same seed, so pretraining moved them
    assert not list(tmp_path.glob("*.building"))

    keep = tmp_path / "taken"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    with pytest.raises(OSError):
        build_student(keep, StudentConfig(pretrain_steps=0), log=lambda _: None)
    assert (keep / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_copy_pretraining_forms_induction_within_its_budget(tmp_path):
    """~70 s on 2 cores: the repeat's loss falls from ln(vocab) to below stop_loss."""
    student = build_student(tmp_path / "s", log=lambda _: None)
    figures = json.loads((student / "pretraining.json").read_text())
    assert figures["repeat_loss_after"] < 0.3, figures
    assert figures["steps"] < figures["max_steps"], figures
