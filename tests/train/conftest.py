"""SFT fixtures: a curated-looking step folder (Parquet + manifest) and run settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions"))


@dataclass(kw_only=True)
class FakeCurateConfig:
    note: str = "test data"


def sample_rows(num: int, stage: int = 1) -> list[dict]:
    """SyntheticSample-shaped rows: arithmetic questions with worked answers."""
    rows = []
    for i in range(num):
        a, b = i + 2, 3 * i + 1
        rows.append(
            {
                "id": f"syn-{stage}-{i:03d}",
                "question": f"What is {a} + {b}?",
                "response": f"{a} + {b} = {a + b}.\nThe answer is {a + b}",
                "stage": stage,
                "seed_id": f"seed-{i}",
            }
        )
    return rows


def write_curated(folder: Path, rows: list[dict], name: str = "curated.parquet") -> Path:
    """A finished step folder holding ``rows`` as Parquet, like the curation step writes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from skyray.runs import Step

    step = Step(folder, 3, "curate")
    step.start(reset=True)
    pq.write_table(pa.Table.from_pylist(rows), step.path / name)
    step.finish(FakeCurateConfig(), rows={"kept": len(rows)})
    return step.path / name


@pytest.fixture(scope="session")
def curated(tmp_path_factory) -> Path:
    """24 stage-1 rows and 8 stage-2 rows in one curated Parquet."""
    rows = sample_rows(24, stage=1) + sample_rows(8, stage=2)
    return write_curated(tmp_path_factory.mktemp("run"), rows)
