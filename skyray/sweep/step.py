"""The pipeline's ``sweep`` step (``step-4-sweep``): the data-scaling sweep on the run's curated
data, as one resumable step of a run folder.

The sweep folder is the step folder (``subsets/``, ``trials/``, ``tune-*/``, ``report/``), its
data the curate step's ``kept/``. The step is skipped on rerun when it finished with the same
config and data; an interrupted one continues (``run_sweep`` restores the Tune experiment, so
finished trials are not trained again). It fails, with each failed trial's one-line reason, when
a trial did not finish. Its manifest names ``final_model``: the largest size's last SFT step
(stage 2 where it ran), the model a following ``selfcompare`` step starts from.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from skyray.sweep.config import SweepConfig

logger = logging.getLogger(__name__)


def final_model(sweep_dir: Path) -> str:
    """The largest size's last SFT step folder (first model, selection and seed)."""
    from skyray.sweep.plan import SFT2_STEP, SFT_STEP
    from skyray.sweep.results import load_plan

    plans = load_plan(sweep_dir)["trials"]
    largest = max(int(p["params"]["size"]) for p in plans)
    plan = next(p for p in plans if int(p["params"]["size"]) == largest)
    step = SFT2_STEP if plan.get("stage2_data") else SFT_STEP
    return str(Path(plan["folder"]) / f"step-{step}-sft")


def run_sweep_step(
    cfg: SweepConfig,
    run_dir: Path,
    index: int,
    kept: Path,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """Run (or resume, or skip) the sweep over ``kept`` in ``run_dir/step-<index>-sweep``."""
    from skyray.runs import Step
    from skyray.sweep.run import run_sweep

    step = Step(run_dir, index, "sweep")
    # the fingerprint covers the sweep's own settings, not where the pipeline put its folder
    fp_cfg = replace(cfg, run_dir="", data="")
    if not force and step.is_done(fp_cfg, [kept]):
        logger.info("sweep: %s already finished, skipping", step.path)
        return step.path
    path = step.start()
    sweep_dir, statuses = run_sweep(
        replace(cfg, run_dir=str(path), data=str(kept)), address, force=force
    )
    failed = {n: s.get("error") or s.get("status", "pending") for n, s in statuses.items()}
    failed = {n: why for n, why in failed.items() if statuses[n].get("status") != "done"}
    if failed:
        lines = "; ".join(f"{n}: {why}" for n, why in failed.items())
        raise RuntimeError(f"sweep: {len(failed)} of {len(statuses)} trials failed: {lines}")
    metrics = {n: s.get("metrics", {}) for n, s in statuses.items()}
    step.finish(
        fp_cfg,
        [kept],
        rows={"trials": len(statuses)},
        extra={
            "final_model": final_model(sweep_dir),
            "report": str(sweep_dir / "report" / "report.md"),
            "trials": metrics,
        },
    )
    return path
