"""What SFT reads from a real curation step: ``kept/`` only, whatever path the user passes, with
the manifest link to the curation step; and the stage-2 preflight on a real-size curated set."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from skyray.train.config import SFTConfig
from tests.train.conftest import sample_rows, write_curated


@pytest.fixture(scope="module")
def curated_run(data_dir, tmp_path_factory):
    """A real curation step (engine=local) whose dropped/ holds a GSM8K test item."""
    from skyray.curate.config import CurateConfig, DecontamConfig
    from skyray.curate.run import run_curate

    test_item = json.loads((data_dir / "gsm8k" / "test.jsonl").open().readline())
    leak = {
        "id": "leak-gsm8k-0",
        "question": test_item["question"],
        "response": "Sixteen minus seven is nine, times two.\nThe answer is 18",
        "stage": 1,
        "seed_id": "seed-leak",
    }
    run = tmp_path_factory.mktemp("run")
    samples = run / "samples.jsonl"
    rows = [leak] + sample_rows(12, stage=1)
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = CurateConfig(engine="local", decontam=DecontamConfig(benchmarks=["gsm8k-test"]))
    step = run_curate(cfg, run, 3, [samples])
    dropped = pq.read_table(step / "dropped").to_pylist()
    assert [(r["id"], r["drop_reason"]) for r in dropped][:1] == [
        ("leak-gsm8k-0", "decontam:gsm8k-test")
    ]
    kept_ids = pq.read_table(step / "kept").column("id").to_pylist()
    assert kept_ids and "leak-gsm8k-0" not in kept_ids
    return run, step, kept_ids


@pytest.mark.parametrize("where", ["step", "kept", "kept-file", "run"])
def test_sft_reads_only_kept_rows_and_links_the_curation_step(curated_run, where):
    from skyray.train.data import dataset_manifest, parquet_files, read_rows

    run, step, kept_ids = curated_run
    kept_file = sorted((step / "kept").glob("*.parquet"))[0]
    path = {"step": step, "kept": step / "kept", "kept-file": kept_file, "run": run}[where]
    files = parquet_files(path)
    assert files and all(f.parent == (step / "kept").resolve() for f in files)
    ids = [r["id"] for r in read_rows(path)]
    if where != "kept-file":
        assert ids == kept_ids
    assert "leak-gsm8k-0" not in ids
    link = dataset_manifest(path)
    manifest = json.loads((step / "manifest.json").read_text())
    assert link["manifest"] == str((step / "manifest.json").resolve())
    assert link["step"] == "step-3-curate" and link["step_fingerprint"] == manifest["fingerprint"]
    assert set(link["files"]) == {str(f) for f in files}


def test_sft_refuses_the_dropped_folder(curated_run):
    from skyray.train.data import parquet_files

    _, step, _ = curated_run
    with pytest.raises(ValueError, match="curation dropped"):
        parquet_files(step / "dropped")


def test_sft_refuses_a_folder_with_two_curation_outputs(curated_run, tmp_path):
    import shutil

    from skyray.train.data import parquet_files

    _, step, _ = curated_run
    shutil.copytree(step, tmp_path / "a" / "step-3-curate")
    shutil.copytree(step, tmp_path / "b" / "step-3-curate")
    with pytest.raises(ValueError, match="several curation outputs"):
        parquet_files(tmp_path)


def test_stage2_preflight_finds_stage2_rows_after_thousands_of_stage1_rows(
    tiny_model_dir, tmp_path
):
    """Synthesis writes stage-2 rows last and curation keeps order: 2,000 stage-1 rows first."""
    from skyray.train.trainer import run_preflight

    hard = [{**r, "question": "Hard: " + r["question"]} for r in sample_rows(6, stage=2)]
    data = write_curated(tmp_path, sample_rows(2000, stage=1) + hard)
    cfg = SFTConfig(model=str(tiny_model_dir), data_stage=2, max_length=128, preflight_samples=4)
    out = tmp_path / "preflight.txt"
    run_preflight(cfg, str(tiny_model_dir), data.parent, out)
    views = out.read_text().split("\n\n----\n\n")
    assert len(views) == 4
    assert all("Hard: What is" in v for v in views)
    with pytest.raises(ValueError, match="no rows of stage 3"):
        run_preflight(
            SFTConfig(model=str(tiny_model_dir), data_stage=3, max_length=128),
            str(tiny_model_dir),
            data.parent,
            out,
        )
