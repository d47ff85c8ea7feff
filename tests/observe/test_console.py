"""``skyray pipeline`` writing to a pipe (as in a job log): no escape codes, a start line, steady
progress lines and a summary line per step, and the closing table; ``-q`` keeps only the table."""

import re

from skyray.runs import read_manifest

ESCAPE = re.compile(r"\x1b|\r(?!\n)")
STEP_NAMES = ["step-1-seeds", "step-2-synth", "step-3-curate", "step-4-sft", "step-5-eval"]


def _table(stdout: str) -> dict[str, list[str]]:
    lines = stdout.rstrip("\n").splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["step", "status"])
    assert set(lines[header + 1]) <= {"-", " "}
    rows = []  # the table's rows; `run folder: ...` follows it
    for line in lines[header + 2 :]:
        if not line.startswith("step-"):
            break
        rows.append(line)
    rest = lines[header + 2 + len(rows) :]  # nothing, or the run folder of a finished run
    assert rest == [] or (len(rest) == 1 and rest[0].startswith("run folder: ")), rest
    return {line.split()[0]: line.split() for line in rows}


def test_pipe_output_is_plain_text_with_a_summary_table(observed_run):
    out, err = observed_run.pipeline.stdout, observed_run.pipeline.stderr
    assert not ESCAPE.search(out), ESCAPE.search(out)
    assert not ESCAPE.search(err), err[max(0, ESCAPE.search(err).start() - 200) :][:400]
    table = _table(out)
    assert list(table) == STEP_NAMES
    for name in STEP_NAMES:
        row = table[name]
        assert row[1] == "ran"
        manifest = read_manifest(observed_run.run_dir / name)
        stage = name.split("-", 2)[2]
        assert f"{stage}: started -> " in err
        assert f"{stage}: done in " in err
        if stage == "curate":
            rows = manifest["rows"]
            assert row[2:4] == [str(rows["in"]), str(rows["kept"])]
            assert f"kept {100 * rows['kept'] / rows['in']:.1f}%" in out
        if stage == "sft":
            assert f"final loss {manifest['final_metrics']['loss']:.4f}" in out
    assert str(observed_run.run_dir / "step-5-eval" / "report.md") in out
    assert table["step-5-eval"][5] == "gsm8k-test"
    # steady progress lines with rates (synth per phase, sft per step with an ETA)
    assert re.search(r"synth 1a: samples \d+/12, .*/s in this phase", err)
    assert re.search(r"sft: \d+/2 steps \(\d+%\), [\d.]+ steps/s", err)


def test_rerun_skips_and_quiet_prints_only_the_table(observed_run):
    again = observed_run.skyray("-q", *observed_run.pipeline_args())
    assert again.returncode == 0, again.stderr[-3000:]
    table = _table(again.stdout)
    assert [row[1] for row in table.values()] == ["skipped"] * len(STEP_NAMES)
    assert " INFO " not in again.stderr
    assert not ESCAPE.search(again.stdout + again.stderr)


def test_a_failed_step_is_marked_in_the_table(observed_run, tmp_path):
    failed = observed_run.skyray(
        "pipeline",
        f"--run-dir={tmp_path / 'other'}",
        "--address",
        observed_run.address,
        "steps=[curate]",
        "-q",
    )
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines()[-1].startswith("skyray: error: curate needs")
    table = _table(failed.stdout)
    assert table["step-3-curate"][1] == "failed"
