"""The demo, shortened: configs/local/demo.yaml on a tiny scale with its real stages (the world's
teacher served over HTTP, synthesis, curation with 30-gram decontamination, the Ray Tune sweep
with ZeRO-3 SFT on 2 Ray Train workers and evaluation per trial, stage 2 for the largest size),
then the summary and the sweep's scaling report: their structure, the planted leaks removed and
listed by benchmark item, and the direction of the curve.

Self-compare is left out (it is the demo's last stage and costs one more SFT run; its own tests
cover it). Everything is seeded (teacher replies, subsets, SFT init and data order, greedy
evaluation), so the run gives the same numbers each time.

The curve's direction: with the demo's recipe (batch 8, 3 epochs here) the smallest trial trains
15 optimizer steps, the largest 150. Measured on the demo (2026-12-01, copy-pretrained student):
after 56 steps 89 of the 300 held-out responses still have no answer line and 1.7% are right,
after 113 steps 3 have none and 5.3% are right. So the assertions are that the largest size answers
more problems correctly than the smallest and leaves fewer responses without an answer line; if
SFT stopped learning, the subsets were not nested, or a trial evaluated the wrong model, both
sizes would sit near 0% with no answer lines and this fails.

Several minutes on 2 CPUs: marked slow and demo (`pytest -m slow tests/testing`).
"""

import json
from pathlib import Path

import pytest

from skyray.config import load_config
from skyray.pipeline import PipelineConfig, run_pipeline
from skyray.serve.server import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.demo, pytest.mark.timeout(1800)]  # ~6 min quiet
SIZES = [40, 400]


def _tiny_demo(tmp_path: Path) -> PipelineConfig:
    url = f"http://127.0.0.1:{free_port()}/v1"
    student = tmp_path / "student"
    return load_config(
        PipelineConfig,
        ROOT / "configs" / "local" / "demo.yaml",
        [
            f"run_dir={tmp_path / 'demo'}",
            "steps=[seeds,synth,curate,sweep]",
            f"synth.teacher.base_url={url}",
            "miniworld.leak_share=0.1",  # enough leaks in a small run
            "seeds.max_per_source=300",
            "synth.num_seed_synthetic=300",  # ~550 curated stage-1 rows
            "synth.num_normal=300",
            "synth.num_hard=60",
            "synth.coreset.embedder=hash",
            "synth.coreset.use_ray=false",
            f"sweep.sizes={SIZES}",
            f"sweep.stage2_sizes=[{SIZES[-1]}]",
            f"sweep.sft.model={student}",
            "sweep.sft.num_epochs=3",
            f"sweep.sft_stage2.model={student}",
            "sweep.sft_stage2.num_epochs=1",
            "sweep.eval.limit=100",  # 20 per level
        ],
    )


def test_tiny_demo_scaling_report_curve_and_leaks(tmp_path, ray_cluster):
    from skyray.testing.miniworld.model import build_student
    from skyray.testing.miniworld.summary import SUMMARY_JSON, write_summary

    build_student(tmp_path / "student")
    cfg = _tiny_demo(tmp_path)
    done = run_pipeline(cfg)
    assert list(done) == cfg.steps
    summary = write_summary(cfg.run_dir)
    text = summary.read_text()
    data = json.loads((Path(cfg.run_dir) / SUMMARY_JSON).read_text())

    # the summary: four claims (self-compare "not tested": it did not run), the per-level table
    # with a stage-1 row per size and the stage-2 row of the largest
    claims = {c["title"]: c["held"] for c in data["claims"]}
    assert len(claims) == 4
    assert claims["Self-compare fixes the model's own errors"] is None
    assert "## Accuracy per level" in text
    assert sorted(int(s) for s in data["accuracy"]) == SIZES
    assert set(data["accuracy"][str(SIZES[-1])]) == {"1", "2"}
    assert f"| {SIZES[-1]:,} samples, after stage 2 |" in text

    # the sweep's own report: table, curve PNG, per-level tables, every trial done
    report_dir = done["sweep"] / "report"
    report = json.loads((report_dir / "report.json").read_text())
    assert [t["status"] for t in report["trials"]] == ["done"] * len(SIZES)
    pngs = [report_dir / name for name in report["plots"]]
    assert pngs and all(p.is_file() and p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    md = (report_dir / "report.md").read_text()
    assert "stage 2" in md.lower()

    # leaks: every planted one dropped and listed by benchmark item, no clean row dropped
    leaks = data["leaks"]
    assert leaks["ok"] and leaks["counts"]["planted"]["rows"] > 0
    assert leaks["counts"]["planted"]["dropped"] == leaks["counts"]["planted"]["rows"]
    assert leaks["counts"]["clean"]["dropped"] == 0
    for sample, item in leaks["leaks"]["planted"].items():
        assert f"- sample `{sample}` = `{item}`" in text

    # the curve's direction (see the module docstring for why this can fail)
    small, large = (data["accuracy"][str(n)]["1"] for n in SIZES)
    assert large["correct"] > small["correct"], f"accuracy did not rise: {small} -> {large}"
    no_answer = {}
    for n in SIZES:
        trial = done["sweep"] / "trials" / f"student-n{n}-random-s0" / "step-5-eval"
        cell = json.loads((trial / "report.json").read_text())["benchmarks"]["miniworld-test"]
        no_answer[n] = cell["graders"]["strict"]["no_answer"]
    assert no_answer[SIZES[-1]] < no_answer[SIZES[0]], no_answer
