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


LEAK = {  # a GSM8K test problem, as curation's dropped/ holds it
    "id": "leak-0",
    "drop_reason": "decontam:gsm8k-test",
    "drop_detail": "gsm8k-test:0",
    "question": "Janet's ducks lay 16 eggs per day. How much does she make every day?",
    "response": "16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\nThe answer is 18",
    "stage": 1,
    "seed_id": "seed-leak",
}


def write_curated(folder: Path, rows: list[dict]) -> Path:
    """A finished curation step folder like the curation step writes: ``rows`` in
    ``kept/part-00000.parquet`` (returned), a decontaminated leak in ``dropped/``."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from skyray.runs import Step

    step = Step(folder, 3, "curate")
    step.start(reset=True)
    for part, part_rows in (("kept", rows), ("dropped", [LEAK])):
        (step.path / part).mkdir()
        pq.write_table(pa.Table.from_pylist(part_rows), step.path / part / "part-00000.parquet")
    (step.path / "report.json").write_text(json.dumps({"rows": {"kept": len(rows)}}))
    step.finish(FakeCurateConfig(), rows={"kept": len(rows), "dropped": 1})
    return step.path / "kept" / "part-00000.parquet"


@pytest.fixture(scope="session")
def curated(tmp_path_factory) -> Path:
    """24 stage-1 rows and 8 stage-2 rows in one curated Parquet."""
    rows = sample_rows(24, stage=1) + sample_rows(8, stage=2)
    return write_curated(tmp_path_factory.mktemp("run"), rows)
