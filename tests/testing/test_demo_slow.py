"""The demo, shortened: every stage of configs/local/demo.yaml on a tiny scale (real teacher
server, curation, ZeRO-3 SFT on 2 workers, evaluation, stage 2, one self-compare round), then
the summary: its structure, the planted leaks removed and listed, and the direction of the
training effect. Several minutes on 2 CPUs: marked demo (run with `pytest -m demo`)."""

import json
from pathlib import Path

import pytest

from skyray.config import load_config
from skyray.pipeline import PipelineConfig, run_pipeline
from skyray.serve.server import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.demo  # not in CI: `pytest -m demo` (the demo is still being tuned)


def _tiny_demo(tmp_path: Path) -> PipelineConfig:
    url = f"http://127.0.0.1:{free_port()}/v1"
    return load_config(
        PipelineConfig,
        ROOT / "configs" / "local" / "demo.yaml",
        [
            f"run_dir={tmp_path / 'demo'}",
            f"synth.teacher.base_url={url}",
            f"selfcompare.teacher.base_url={url}",
            "miniworld.leak_share=0.15",  # enough leaks in a small run
            "seeds.max_per_source=200",
            "synth.num_seed_synthetic=150",
            "synth.num_normal=150",
            "synth.num_hard=60",
            "synth.coreset.embedder=hash",
            "synth.coreset.use_ray=false",
            f"sft.model={tmp_path / 'student'}",
            "sft.max_steps=40",
            f"sft_stage2.model={tmp_path / 'student'}",
            "sft_stage2.max_steps=10",
            "eval.limit=30",
            "eval_stage2.limit=30",
            "selfcompare.limit=16",
            "selfcompare.sft.max_steps=4",
            "eval_selfcompare.limit=30",
        ],
    )


def test_tiny_demo_runs_every_stage_and_removes_the_planted_leaks(tmp_path, ray_cluster):
    from skyray.testing.miniworld.model import build_student
    from skyray.testing.miniworld.summary import SUMMARY_JSON, write_summary

    build_student(tmp_path / "student")
    cfg = _tiny_demo(tmp_path)
    done = run_pipeline(cfg)
    assert list(done) == cfg.steps
    summary = write_summary(cfg.run_dir)
    text = summary.read_text()
    data = json.loads((Path(cfg.run_dir) / SUMMARY_JSON).read_text())

    titles = [c["title"] for c in data["claims"]]
    assert len(titles) == 4 and "## Accuracy per level" in text
    leaks = data["leaks"]
    assert leaks["ok"] and leaks["counts"]["planted"]["rows"] > 0
    assert leaks["counts"]["planted"]["dropped"] == leaks["counts"]["planted"]["rows"]
    assert leaks["counts"]["clean"]["dropped"] == 0
    for item in set(leaks["leaks"]["planted"].values()):
        assert f"`{item}`" in text or len(set(leaks["leaks"]["planted"].values())) > 20
    # the trained model writes the world's solution format: most answers end in an answer line
    preds = Path(done["eval"]) / "predictions.jsonl"
    rows = [json.loads(line) for line in preds.read_text().splitlines()]
    assert sum("The answer is" in r["response"] for r in rows) >= len(rows) // 2
