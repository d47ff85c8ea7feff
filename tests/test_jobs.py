"""``jobs/``: one ``ray job submit`` entrypoint per stage (synthesis stage 2 and SFT stage 2
included), each running its ``skyray`` command with the job's arguments."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {
    "seeds": ["seeds"],
    "synth": ["synth"],
    "synth_stage2": ["synth", "--run-dir", "runs/x", "stages=[2]"],
    "curate": ["curate"],
    "sft": ["sft"],
    "sft_stage2": ["sft", "--step", "6", "--run-dir", "runs/x", "data_stage=2"],
    "eval": ["eval"],
    "pipeline": ["pipeline"],
    "serve": ["serve"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entrypoint_runs_its_command(name, monkeypatch):
    import skyray.cli

    seen = []
    monkeypatch.setattr(skyray.cli, "main", lambda argv: seen.append(argv) or 0)
    monkeypatch.setattr(sys, "argv", [f"jobs/{name}.py", "--run-dir", "runs/x"])
    monkeypatch.syspath_prepend(str(ROOT / "jobs"))
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(ROOT / "jobs" / f"{name}.py"), run_name="__main__")
    assert exit_.value.code == 0
    want = EXPECTED[name]
    if len(want) == 1:
        want = [*want, "--run-dir", "runs/x"]
    assert seen == [want]


def test_pipeline_runs_a_steps_subset_under_the_storage_root(tmp_path, data_dir, capsys):
    from skyray.cli import main

    config = str(ROOT / "configs/local/pipeline-small.yaml")
    storage = tmp_path / "storage"
    assert (
        main(["pipeline", "--config", config, "--storage", str(storage), "--steps", "seeds"]) == 0
    )
    run = storage / "runs" / "small"
    assert sorted(p.name for p in run.iterdir()) == ["step-1-seeds"]
    assert (run / "step-1-seeds" / "_SUCCESS").is_file()
    assert f"run folder: {run}" in capsys.readouterr().out
