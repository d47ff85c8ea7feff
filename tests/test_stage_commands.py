"""Stage commands: `--force` on every one redoes a finished step; a step with no output fails."""

from __future__ import annotations

import pytest

from skyray.cli import build_parser, main
from skyray.runs import SUCCESS

STAGE_COMMANDS = [
    ["seeds"],
    ["synth"],
    ["sft"],
    ["eval", "run"],
    ["eval", "verify", "--input", "x.parquet", "--out", "o"],
    ["eval", "distractors", "--out", "o.jsonl"],
    ["pipeline"],
    ["selfcompare"],
    ["sweep"],
]


@pytest.mark.parametrize("command", STAGE_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_stage_command_takes_force(command):
    parser = build_parser()
    assert parser.parse_args([*command, "--force"]).force is True
    assert parser.parse_args(command).force is False


def test_curate_takes_force():
    from skyray.curate.cli import curate_parser

    assert curate_parser().parse_intermixed_args(["in.jsonl", "--out", "o", "--force"]).force


def test_seeds_force_redoes_the_finished_step(tmp_path, data_dir, capsys):
    args = ["seeds", "--run-dir", str(tmp_path), "sources=[math-train]", "max_per_source=5"]
    assert main(args) == 0
    marker = tmp_path / "step-1-seeds" / SUCCESS
    first = marker.stat().st_mtime_ns
    assert main(args) == 0 and marker.stat().st_mtime_ns == first  # skipped
    assert main([*args, "--force"]) == 0 and marker.stat().st_mtime_ns > first  # redone
    assert capsys.readouterr().out.count("seeds: 5 problems") == 3


def test_pipeline_force_redoes_finished_steps(tmp_path, data_dir, capsys):
    args = ["pipeline", "--run-dir", str(tmp_path), "steps=[seeds]",
            "seeds.sources=[math-train]", "seeds.max_per_source=4"]  # fmt: skip
    assert main(args) == 0
    marker = tmp_path / "step-1-seeds" / SUCCESS
    first = marker.stat().st_mtime_ns
    assert main(args) == 0 and marker.stat().st_mtime_ns == first
    assert main([*args, "--force"]) == 0 and marker.stat().st_mtime_ns > first


def test_seeds_step_with_no_seed_fails_without_marker(tmp_path, data_dir, capsys):
    code = main(["seeds", "--run-dir", str(tmp_path), "sources=[math-train]", "subjects=[Nope]"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert err[0].startswith("skyray: error: seeds: no problem passed the filters (levels all, ")
    assert not (tmp_path / "step-1-seeds" / SUCCESS).exists()
