"""`skyray pipeline` wiring: seeds -> synth (local deterministic teacher over HTTP) -> curate, in
one run folder, with finished steps skipped on rerun. SFT and eval have their own tests; the
laptop demo (`make demo`) runs all five stages."""

import pytest

from skyray.config import load_config
from skyray.pipeline import PipelineConfig, run_pipeline
from skyray.runs import MANIFEST, Step


def _cfg(tmp_path, port):
    return load_config(
        PipelineConfig,
        None,
        [
            f"run_dir={tmp_path / 'run'}",
            "steps=[seeds, synth, curate]",
            "local_teacher=true",
            "seeds.sources=[math-train]",
            "seeds.max_per_source=12",
            f"synth.teacher.base_url=http://127.0.0.1:{port}/v1",
            "synth.teacher.model=deterministic",
            "synth.num_seed_synthetic=12",
            "synth.num_normal=8",
            "synth.num_hard=4",
            "synth.coreset.fraction=0.5",
            "synth.coreset.use_ray=false",
            "curate.num_workers=1",
            "curate.worker_cpus=0.5",
        ],
    )


def test_seeds_synth_curate_in_one_run_folder(tmp_path, ray_cluster, data_dir):
    from skyray.serve.server import free_port

    cfg = _cfg(tmp_path, free_port())
    done = run_pipeline(cfg)
    assert [p.name for p in done.values()] == ["step-1-seeds", "step-2-synth", "step-3-curate"]
    seeds = Step(tmp_path / "run", 1, "seeds").manifest()["rows"]["seeds"]
    synth = Step(tmp_path / "run", 2, "synth").manifest()
    curate = Step(tmp_path / "run", 3, "curate").manifest()
    assert seeds == 12
    assert synth["rows"]["samples"] > 0
    assert curate["rows"]["in"] == synth["rows"]["samples"]
    assert curate["rows"]["kept"] + curate["rows"]["dropped"] == curate["rows"]["in"]
    assert list((done["curate"] / "kept").glob("*.parquet"))
    # a rerun skips every finished step (no teacher is started: nothing would answer)
    stamps = {name: (path / MANIFEST).stat().st_mtime_ns for name, path in done.items()}
    again = run_pipeline(cfg)
    assert {n: (p / MANIFEST).stat().st_mtime_ns for n, p in again.items()} == stamps


def test_a_step_needs_its_upstream(tmp_path):
    cfg = load_config(PipelineConfig, None, [f"run_dir={tmp_path}", "steps=[curate]"])
    with pytest.raises(FileNotFoundError, match="step-2-synth"):
        run_pipeline(cfg)


def test_steps_are_validated():
    with pytest.raises(ValueError, match="unknown pipeline steps"):
        PipelineConfig(steps=["seeds", "train"])
    with pytest.raises(ValueError, match="stage order"):
        PipelineConfig(steps=["curate", "seeds"])


def test_the_sweep_step_needs_its_config_and_reads_as_step_4(tmp_path):
    from skyray.pipeline import step_path

    with pytest.raises(ValueError, match="no sweep: section"):
        PipelineConfig(steps=["seeds", "synth", "curate", "sweep"])
    assert step_path(tmp_path, "sweep") == tmp_path / "step-4-sweep"
    demo = load_config(PipelineConfig, "configs/local/demo.yaml")
    assert "sweep" in demo.steps and len(demo.sweep.sizes) >= 4
    assert demo.sweep.stage2_sizes == [max(demo.sweep.sizes)]


def test_the_sweep_step_names_the_largest_size_final_model(tmp_path):
    from skyray.sweep.step import final_model
    from tests.sweep.fake_sweep import fake_sweep

    fake_sweep(
        tmp_path,
        ["sizes=[10,40,20]", "stage2_sizes=[40]", "models=[{name: m, model: x}]"],
        lambda params, stage: {"math-test": 0.1},
    )
    assert final_model(tmp_path) == str(tmp_path / "trials" / "m-n40-random-s42" / "step-6-sft")
