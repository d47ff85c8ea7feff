"""The storage layer on its own: run-folder resolution, the in-job refusal, and staging a step
to a real S3 endpoint (moto on 127.0.0.1) and back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from skyray import storage
from tests.storage.conftest import s3_files

ROOT = Path(__file__).resolve().parents[2]


def test_run_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("SKYRAY_STORAGE", raising=False)
    monkeypatch.delenv("RAY_JOB_CONFIG_JSON_ENV_VAR", raising=False)
    assert storage.resolve_run_dir("runs/x") == "runs/x"
    assert storage.resolve_run_dir("runs/x", "s3://b/p") == "s3://b/p/runs/x"
    assert storage.resolve_run_dir("runs/x", str(tmp_path)) == str(tmp_path / "runs/x")
    assert storage.resolve_run_dir("/abs/run", "s3://b/p") == "/abs/run"
    assert storage.resolve_run_dir("gs://b/run", "s3://b/p") == "gs://b/run"
    monkeypatch.setenv("SKYRAY_STORAGE", "s3://bucket/pre/")
    assert storage.resolve_run_dir("runs/x") == "s3://bucket/pre/runs/x"
    with pytest.raises(ValueError, match="absolute path on shared storage or a URI"):
        storage.resolve_run_dir("runs/x", "relative/root")


def test_relative_run_dir_inside_a_ray_job_is_refused_in_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "RAY_JOB_CONFIG_JSON_ENV_VAR": "{}",  # what Ray sets for a job's entrypoint
        "SKYRAY_DATA_DIR": "/nonexistent",
    }
    out = subprocess.run(
        [sys.executable, "-m", "skyray.cli", "seeds", "--run-dir", "runs/x"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skyray: error: run folder 'runs/x'")
    assert "SKYRAY_STORAGE" in lines[0] and "--storage" in lines[0]
    assert not (tmp_path / "runs").exists()


def test_staged_paths_map_back_to_their_uri(monkeypatch, tmp_path):
    monkeypatch.setenv("SKYRAY_STAGING_DIR", str(tmp_path))
    local = storage.local_of("s3://bucket/a/run/step-2-synth")
    assert local == tmp_path / "s3/bucket/a/run/step-2-synth"
    assert storage.remote_of(local / "cache") == "s3://bucket/a/run/step-2-synth/cache"
    assert storage.remote_of("/elsewhere/x") == "/elsewhere/x"


def test_a_step_is_uploaded_with_its_marker_last_and_skipped_when_done(s3_root):
    run = storage.join(s3_root, "run")
    with storage.staged_step(run, "step-1-x") as local:
        step = local / "step-1-x"
        (step / "parts").mkdir(parents=True)
        (step / "parts" / "a.txt").write_text("a")
        (step / "parts" / "stale.txt").write_text("old")
        (step / "manifest.json").write_text("{}")
        (step / "_SUCCESS").write_text("fp1\n")
    assert s3_files(run) == [
        "step-1-x/_SUCCESS", "step-1-x/manifest.json", "step-1-x/parts/a.txt",
        "step-1-x/parts/stale.txt",
    ]  # fmt: skip
    # redone elsewhere (fresh staging): old files are removed, the new marker is written
    storage.shutil.rmtree(storage.staging_root())
    with storage.staged_step(run, "step-1-x") as local:
        step = local / "step-1-x"
        assert (step / "_SUCCESS").read_text() == "fp1\n"  # the finished marker came down
        assert not (step / "parts").exists()  # only the marker and manifest
        (step / "_SUCCESS").unlink()
        (step / "parts").mkdir()
        (step / "parts" / "a.txt").write_text("b")
        (step / "_SUCCESS").write_text("fp2\n")
    assert "step-1-x/parts/stale.txt" not in s3_files(run)
    assert storage.read_text(f"{run}/step-1-x/_SUCCESS") == "fp2\n"
    # a later step reads it: mirrored in full
    with storage.staged_step(run, "step-2-y", needs=["step-1-x"]) as local:
        assert (local / "step-1-x" / "parts" / "a.txt").read_text() == "b"
    assert not any(f.startswith("step-2-y") for f in s3_files(run))  # unfinished: not uploaded
    # a step that fails is not uploaded and leaves the stored one intact
    with pytest.raises(RuntimeError), storage.staged_step(run, "step-1-x") as local:
        (local / "step-1-x" / "_SUCCESS").write_text("fp3\n")
        raise RuntimeError("boom")
    assert storage.read_text(f"{run}/step-1-x/_SUCCESS") == "fp2\n"


def test_inputs_in_a_step_are_fingerprinted_by_the_step_not_its_location(tmp_path):
    import shutil as sh
    from dataclasses import dataclass

    from skyray.runs import Step, input_fingerprint

    @dataclass(kw_only=True)
    class Cfg:
        n: int = 1

    step = Step(tmp_path / "a", 1, "seeds")
    step.start()
    (step.path / "seeds.parquet").write_text("x")
    (step.path / "kept").mkdir()
    (step.path / "kept" / "part-0.parquet").write_text("y")
    step.finish(Cfg())
    copy = tmp_path / "staged" / "step-1-seeds"
    sh.copytree(step.path, copy)  # new mtimes, another place: the same input
    for rel in ("seeds.parquet", "kept", "kept/part-0.parquet", ""):
        assert input_fingerprint(step.path / rel) == input_fingerprint(copy / rel)
    # a bare _SUCCESS (as Spark writes) does not make a folder a step
    spark = tmp_path / "spark"
    spark.mkdir()
    (spark / "_SUCCESS").write_text("")
    (spark / "part-0.parquet").write_text("z")
    assert "size" in input_fingerprint(spark / "part-0.parquet")
