"""A real sweep on the local Ray cluster: Ray Tune trials that each run a ZeRO-3 TorchTrainer
(1 CPU worker) and the evaluation step on the tiny model. 3 data sizes x the tiny model, plus a
model whose config loads but whose tokenizer and weights are missing: its trials fail, are
reported, and do not stop the others. Then the report is rebuilt from a copy of the folder."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import struct
import types

import pytest

from tests.sweep.conftest import LOCAL

# a safety net for a heavily loaded machine (~3 min when it is not): six trials, three SFT fits
pytestmark = pytest.mark.timeout(1800)
SIZES = (4, 8, 12)


@pytest.fixture(scope="module")
def sweep(ray_cluster, tiny_model_dir, broken_model_dir, curated_data, tmp_path_factory):
    from skyray.cli import main

    run = tmp_path_factory.mktemp("sweep") / "scaling"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            [
                "sweep",
                "--config",
                str(LOCAL),
                "--run-dir",
                str(run),
                f"data={curated_data}",
                f"sizes=[{', '.join(map(str, SIZES))}]",
                f"models=[{{name: tiny, model: {tiny_model_dir}}}, "
                f"{{name: broken, model: {broken_model_dir}}}]",
                "stage2_sizes=[]",
                "sft.max_length=128",
                "sft.micro_batch_size=2",
                "sft.global_batch_size=2",
                "sft.save_every_steps=0",
                "eval.limit=3",
                "eval.generation.sampling.max_new_tokens=8",
            ]
        )
    return run, code, types.SimpleNamespace(out=out.getvalue(), err=err.getvalue())


def eval_report(run, trial):
    folder = run / "trials" / trial / "step-5-eval"
    assert (folder / "_SUCCESS").is_file()
    return json.loads((folder / "report.json").read_text())


def test_finished_trials_wrote_normal_step_folders(sweep):
    run, code, out = sweep
    assert code == 1  # the broken model's trials failed
    for n in SIZES:
        trial = run / "trials" / f"tiny-n{n}-random-s42"
        assert json.loads((trial / "status.json").read_text())["status"] == "done"
        sft = json.loads((trial / "step-4-sft" / "manifest.json").read_text())
        assert sft["rows"]["kept"] == n  # trained on exactly its subset
        assert sft["dataset"]["data_path"] == str(run / "subsets" / f"random-n{n}")
        assert (trial / "step-4-sft" / "model" / "config.json").is_file()
        assert (
            eval_report(run, f"tiny-n{n}-random-s42")["benchmarks"]["math-test"]["num_problems"]
            == 3
        )
    assert f"tiny-n{SIZES[0]}-random-s42" in out.out


def test_failed_trials_are_reported_and_did_not_stop_the_others(sweep):
    run, _, out = sweep
    report = (run / "report" / "report.md").read_text()
    for n in SIZES:
        status = json.loads(
            (run / "trials" / f"broken-n{n}-random-s42" / "status.json").read_text()
        )
        assert status["status"] == "failed"
        assert "\n" not in status["error"] and status["error"]
        assert f"- broken-n{n}-random-s42: {status['error']}" in report
        assert f"skyray: trial broken-n{n}-random-s42 failed: {status['error']}" in out.err
    assert "3 done, 3 failed" in report


def test_report_tables_equal_the_trials_eval_reports(sweep):
    run, _, _ = sweep
    with (run / "report" / "scaling.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["series"] == "tiny"]
    assert sorted({int(r["size"]) for r in rows}) == list(SIZES)
    for row in rows:
        cell = eval_report(run, f"tiny-n{row['size']}-random-s42")["benchmarks"][row["benchmark"]]
        cell = cell["graders"]["strict"]
        assert (float(row["accuracy"]), int(row["correct"]), int(row["n"])) == (
            cell["accuracy"],
            cell["correct"],
            cell["n"],
        )
    report = (run / "report" / "report.md").read_text()
    assert "## math-test: accuracy (%) per difficulty level (layout of Table 2)" in report
    assert "tiny, math-test: accuracy" in report  # the monotonicity sentence
    for name in ("accuracy_vs_size.png", "accuracy_by_level.png"):
        data = (run / "report" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 600 and height >= 400


def test_report_rebuilds_from_the_folder_alone(sweep, tmp_path):
    """Only sweep.json, the status files and the eval steps are needed: no Ray, no models."""
    from skyray.cli import main

    run, _, _ = sweep
    copy = tmp_path / run.name
    shutil.copytree(
        run, copy, ignore=shutil.ignore_patterns("tune-*", "subsets", "step-4-sft", "report")
    )
    assert main(["sweep", "report", str(copy)]) == 0
    for name in ("report.md", "scaling.csv", "levels.csv", "subjects.csv", "fits.csv"):
        original = (run / "report" / name).read_text()
        rebuilt = (copy / "report" / name).read_text()
        assert rebuilt == original.replace(str(run), str(copy)), name
    assert (copy / "report" / "accuracy_vs_size.png").stat().st_size > 20_000
