"""The self-compare stage (SkyMath, arXiv 2310.16713): ``run_selfcompare(cfg, run_dir, index)``.

The training problems are split into ``num_rounds`` sub-datasets; in round k the current model
answers sub-dataset k, the teacher writes a self-compare sample for each wrong answer (and
confirmation samples for a share of the right ones), and SFT on those samples gives the model of
round k+1 (:mod:`skyray.selfcompare.rounds`). The step folder
``runs/<run>/step-<index>-selfcompare/`` holds ``round-<k>/`` per round, then
``samples.parquet`` (every round's samples: :class:`SyntheticSample` rows that ``skyray
curate`` and ``skyray sft`` read unchanged), ``report.json``, ``report.md`` and the manifest.
"""

from __future__ import annotations

import logging
from pathlib import Path

from skyray.config import require
from skyray.selfcompare.config import SelfCompareConfig

logger = logging.getLogger("skyray.selfcompare")
SAMPLES = "samples.parquet"


def _inputs(cfg: SelfCompareConfig, files: list[Path]) -> list[str | Path]:
    inputs: list[str | Path] = list(files)
    if Path(cfg.model).is_dir():
        inputs.append(cfg.model)
    return inputs


def run_selfcompare(
    cfg: SelfCompareConfig,
    run_dir: str | Path,
    index: int = 8,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The stage (skipped when finished with the same config and inputs, unless ``force``:
    then every round is redone from scratch); its folder."""
    from skyray.runs import Step, write_report_files
    from skyray.selfcompare.problems import load_problems, split_rounds
    from skyray.selfcompare.report import build_report, render_markdown
    from skyray.selfcompare.rounds import round_summary, run_round
    from skyray.selfcompare.samples import read_samples, write_samples

    require(bool(cfg.model), "selfcompare needs a model: pass --model (an sft step, a folder, ...)")
    problems, files = load_problems(cfg.problems)
    inputs = _inputs(cfg, files)
    step = Step(Path(run_dir), index, "selfcompare")
    if not force and step.is_done(cfg, inputs):
        logger.info("selfcompare: %s is done, skipping", step.path)
        return step.path
    step.start(reset=force)  # keep finished rounds: a rerun resumes where it stopped
    parts = split_rounds(problems, cfg.num_rounds, cfg.split, cfg.seed, cfg.limit)
    model, summaries, samples = cfg.model, [], []
    for k, part in enumerate(parts, start=1):
        result = run_round(cfg, step.path, k, part, model, address)
        summaries.append(round_summary(result))
        samples.extend(read_samples(result.compare / "samples.parquet"))
        model = result.next_model
    write_samples(samples, step.path / SAMPLES)
    report = build_report(cfg, summaries, model)
    write_report_files(step.path, report, render_markdown(report))
    step.finish(
        cfg,
        inputs,
        rows={"problems": sum(len(p) for p in parts), "samples": len(samples)},
        extra={"rounds": summaries, "final_model": model, "totals": report["totals"]},
    )
    return step.path


def run_pipeline_step(
    cfg: SelfCompareConfig,
    run_dir: Path,
    index: int,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The pipeline's ``selfcompare`` step: an empty ``model`` is the run's newest finished sft
    step (stage 2, else stage 1), empty ``problems`` the run's seeds."""
    import dataclasses

    from skyray.pipeline import step_path
    from skyray.runs import SUCCESS

    model, problems = cfg.model, cfg.problems
    if not model:
        trained = [step_path(run_dir, s) for s in ("sft-stage2", "sft")]
        done = [p for p in trained if (p / SUCCESS).is_file()]
        require(bool(done), f"selfcompare needs a finished sft step in {run_dir} (or a model)")
        model = str(done[0])
    if not problems:
        problems = [str(step_path(run_dir, "seeds"))]
    cfg = dataclasses.replace(cfg, model=model, problems=problems)
    return run_selfcompare(cfg, run_dir, index, address, force)
