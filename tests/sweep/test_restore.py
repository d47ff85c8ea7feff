"""Kill the sweep's driver mid-sweep (SIGKILL to its process group: the driver, its local Ray
cluster, the trial and its SFT worker), run the same command again, and check that Tune restores
the experiment: the finished trial is not rerun, the interrupted one resumes its SFT from its
newest checkpoint, and the sweep completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.sweep.conftest import LOCAL, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


def driver(run, tiny_model_dir, curated_data, log):
    cmd = [
        sys.executable, "-m", "skyray.cli", "sweep", "--config", str(LOCAL), "--run-dir", str(run),
        f"data={curated_data}", "sizes=[4, 8]", f"models=[{{name: tiny, model: {tiny_model_dir}}}]",
        "stage2_sizes=[]", "sft.max_length=128", "sft.micro_batch_size=2",
        "sft.global_batch_size=2", "sft.num_epochs=4", "sft.save_every_steps=1",
        "eval.limit=2", "eval.generation.sampling.max_new_tokens=8",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def metrics(trial_dir):
    path = trial_dir / "step-4-sft" / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_until(condition, proc, what, timeout=900.0):
    deadline = time.monotonic() + timeout  # a safety net only: the test waits on files
    while not condition():
        assert proc.poll() is None, f"the driver exited (rc {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def kill_group(proc):
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until no process of the group is left
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    raise AssertionError("processes of the killed sweep are still alive")


def test_restore_after_killing_the_driver_finishes_only_the_missing_trials(
    tiny_model_dir, curated_data, tmp_path
):
    run = tmp_path / "sweep"
    first, second = run / "trials" / "tiny-n4-random-s42", run / "trials" / "tiny-n8-random-s42"
    with (tmp_path / "first.log").open("w") as log:
        proc = driver(run, tiny_model_dir, curated_data, log)
        try:
            # kill once the first trial is evaluated and the second is past its checkpoints
            # (every step saves one; Ray Train commits them asynchronously)
            wait_until(
                lambda: (
                    (first / "step-5-eval" / "_SUCCESS").is_file()
                    and any(r.get("step", 0) >= 3 for r in metrics(second))
                ),
                proc,
                "trial 1 done and trial 2 at step 3",
            )
        finally:
            kill_group(proc)
    done_before = json.loads((first / "step-5-eval" / "manifest.json").read_text())["finished_at"]
    assert json.loads((second / "status.json").read_text())["status"] == "running"
    assert not (second / "step-4-sft" / "_SUCCESS").exists()

    with (tmp_path / "second.log").open("w") as log:
        proc = driver(run, tiny_model_dir, curated_data, log)
        assert proc.wait(timeout=900) == 0, (tmp_path / "second.log").read_text()[-3000:]
    out = (tmp_path / "second.log").read_text()
    assert "restoring the interrupted Tune experiment" in out

    # the finished trial was not rerun: same eval step, one attempt
    assert json.loads((first / "step-5-eval" / "manifest.json").read_text())["finished_at"] == (
        done_before
    )
    assert json.loads((first / "status.json").read_text())["attempts"] == 1
    # the interrupted trial continued from its checkpoint and finished
    status = json.loads((second / "status.json").read_text())
    assert status["status"] == "done" and status["attempts"] == 2
    records = metrics(second)
    starts = [i for i, r in enumerate(records) if r.get("event") == "start"]
    assert len(starts) == 2 and records[starts[0]]["resumed_at"] is None
    resumed_at = records[starts[1]]["resumed_at"]  # the newest checkpoint Ray Train committed
    assert resumed_at >= 1, "the interrupted SFT started over instead of resuming"
    steps = [r["step"] for r in records[starts[1] :] if "loss" in r]
    assert steps == list(range(resumed_at + 1, records[starts[1]]["total_steps"] + 1))
    assert (second / "step-5-eval" / "_SUCCESS").is_file()
    assert "2 done" in (run / "report" / "report.md").read_text()
