"""Sweep fixtures: a curated-looking dataset (stage-1 and stage-2 rows, shuffled ids) and helpers
that write a sweep folder's files the way the sweep does."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.train.conftest import sample_rows, write_curated

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "configs" / "local" / "scaling.yaml"
os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions"))


def curated_rows(num_stage1: int = 40, num_stage2: int = 6, seed: int = 3) -> list[dict]:
    """Stage-1 and stage-2 SyntheticSample-shaped rows, in a shuffled order."""
    rows = sample_rows(num_stage1, stage=1) + sample_rows(num_stage2, stage=2)
    random.Random(seed).shuffle(rows)
    return rows


@pytest.fixture(scope="session")
def curated_data(tmp_path_factory) -> Path:
    """A finished curate step holding 40 stage-1 and 6 stage-2 rows."""
    return write_curated(tmp_path_factory.mktemp("curated"), curated_rows())


@pytest.fixture(scope="session")
def broken_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A model folder whose config loads but which has no tokenizer and no weights: the sweep's
    up-front check passes and the trial fails, as a corrupt checkpoint would."""
    folder = tmp_path_factory.mktemp("broken-model")
    (folder / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    return folder
