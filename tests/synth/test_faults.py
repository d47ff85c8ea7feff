"""``skyray synth`` against a teacher answering HTTP 200 with broken replies: the step fails with
one line and no ``_SUCCESS``; once the teacher is fixed the same command runs (not "done,
skipping"); ``--force`` redoes a finished step."""

from __future__ import annotations

import pytest

from skyray.runs import SUCCESS
from skyray.synth.pipeline import OUTPUT, SEED_SYNTHETIC
from skyray.testing.bad_teacher import BadTeacher

from .test_cli import skyray

TINY = [
    "stages=[1]",
    "num_seed_synthetic=4",
    "num_normal=0",
    "num_hard=0",
    "teacher.max_retries=0",
    "progress_interval_s=1",
]


def synth(run_dir, seeds_path, base_url, *extra):
    return skyray("synth", "--run-dir", str(run_dir), "--seeds", str(seeds_path),
                  f"teacher.base_url={base_url}", *TINY, *extra, timeout=180)  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("garbage", "bad-response:JSONDecodeError"),
        ("no-choices", "bad-response:IndexError"),
        ("null-content", "bad-response:ValueError"),
    ],
)
def test_broken_teacher_fails_the_step(mode, reason, seeds_path, tmp_path):
    step = tmp_path / "step-2-synth"
    with BadTeacher(mode) as bad:
        out = synth(tmp_path, seeds_path, bad.base_url)
    assert out.returncode == 1, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("skyray: error: synth: phase 1a wrote 0 of 4 samples"), last
    assert reason in last and "not marked done" in last
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not (step / SUCCESS).exists()
    assert not (step / OUTPUT).exists() and not (step / SEED_SYNTHETIC).exists()
    assert bad.requests > 0


def test_fixed_teacher_reruns_then_skips_then_force_redoes(teacher_url, seeds_path, tmp_path):
    step = tmp_path / "step-2-synth"
    with BadTeacher("no-choices", upstream=teacher_url) as bad:
        assert synth(tmp_path, seeds_path, bad.base_url).returncode == 1
        bad.mode = "forward"  # the teacher is fixed: the same command now runs the step
        out = synth(tmp_path, seeds_path, bad.base_url)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("synth: 4 samples -> ")
        assert "is done, skipping" not in out.stderr
        assert (step / SUCCESS).is_file() and (step / OUTPUT).is_file()
        first = (step / SUCCESS).stat().st_mtime_ns
        again = synth(tmp_path, seeds_path, bad.base_url)
        assert again.returncode == 0 and "is done, skipping" in again.stderr
        assert (step / SUCCESS).stat().st_mtime_ns == first
        forced = synth(tmp_path, seeds_path, bad.base_url, "--force")
    assert forced.returncode == 0 and "is done, skipping" not in forced.stderr
    assert (step / SUCCESS).stat().st_mtime_ns > first


def test_a_phase_under_min_output_fraction_fails(tmp_path):
    from collections import Counter

    from skyray.errors import StepFailedError
    from skyray.synth.config import SynthConfig
    from skyray.synth.pipeline import check_phase
    from skyray.synth.runner import PhaseResult

    (tmp_path / OUTPUT).write_text("partial")
    phase = PhaseResult("1b", ["sample"] * 3, 12, Counter({"answer-mismatch": 7, "evol:x": 2}))
    check_phase(phase, 10, SynthConfig(min_output_fraction=0.3), tmp_path)  # 3 >= 0.3 x 10
    assert (tmp_path / OUTPUT).exists()
    with pytest.raises(StepFailedError) as info:
        check_phase(phase, 10, SynthConfig(), tmp_path)  # default 0.5: 3 < 5
    assert str(info.value).startswith(
        "synth: phase 1b wrote 3 of 10 samples (min_output_fraction 0.5) after 12 tasks; "
        "drops: answer-mismatch x7, evol:x x2;"
    )
    assert not (tmp_path / OUTPUT).exists()
    with pytest.raises(StepFailedError, match="wrote 0 of 10"):  # empty fails even at 0
        check_phase(PhaseResult("2", [], 40), 10, SynthConfig(min_output_fraction=0), tmp_path)
    with pytest.raises(ValueError, match="min_output_fraction must be in"):
        SynthConfig(min_output_fraction=1.5)
