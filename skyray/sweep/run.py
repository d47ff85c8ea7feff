"""``run_sweep``: the sweep's driver.

1. Check the input before any work: every model loads its config, every subset is non-empty and
   no size exceeds the rows it is drawn from (one line each, ``ValueError``).
2. Write the nested subsets (``subsets/``, skipped when already written) and the plan
   (``sweep.json``: the config and every trial's plan).
3. Run the trials as a Ray Tune experiment under ``tune-<plan hash>/``: a grid over the trial
   plans, ``max_concurrent_trials`` in flight, each trial holding ``trial_resources`` for its
   driver while its ``TorchTrainer`` reserves the SFT workers. When that folder already holds the
   experiment (the driver was killed), ``Tuner.restore`` continues it: finished trials are not
   rerun, unfinished ones relaunch and their SFT step resumes from its newest checkpoint.
4. Write the scaling report (``report/``) from the trial folders.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from skyray.config import require, to_dict
from skyray.sweep.config import SweepConfig
from skyray.sweep.plan import STAGE2_SUBSET, SUBSETS_DIR, TrialPlan, build_plans
from skyray.sweep.results import PLAN_FILE

logger = logging.getLogger(__name__)


def check_models(cfg: SweepConfig) -> None:
    """Each base model must resolve and load its config (a typo fails here, not in a trial)."""
    from skyray.sweep.trainable import one_line
    from skyray.train.trainer import resolve_model

    for spec in cfg.models:
        model = spec.model or (spec.sft or cfg.sft).model
        require(bool(model), f"model {spec.name!r}: no model (set models[].model or sft.model)")
        try:
            path = resolve_model(model)
        except (ValueError, FileNotFoundError) as exc:
            raise ValueError(f"model {spec.name!r} does not load: {exc}") from None
        try:
            from transformers import AutoConfig

            AutoConfig.from_pretrained(path)
        except Exception as exc:  # noqa: BLE001 - any loader failure is the user's input
            raise ValueError(
                f"model {spec.name!r} ({model}) does not load: {one_line(exc)}"
            ) from None


def write_subsets(cfg: SweepConfig, sweep_dir: Path) -> None:
    """Every (selection, size) subset, and the stage-2 rows when a size continues to stage 2."""
    from skyray.runs import input_fingerprint
    from skyray.sweep.subsets import check_sizes, load_pool, random_order, subset_name
    from skyray.sweep.subsets import write_subset as write

    stages = {r.data_stage for r in cfg.stage1_recipes()}
    require(
        len(stages) == 1, f"every model's stage-1 recipe must train on one data_stage: {stages}"
    )
    data_stage = stages.pop()
    require(bool(cfg.data), "sweep.data must name the curated Parquet file or folder")
    if not Path(cfg.data).exists():
        raise FileNotFoundError(f"sweep data not found: {cfg.data}")
    source = {"data": str(Path(cfg.data).resolve()), "input": input_fingerprint(cfg.data)}
    if cfg.verifier_scores:
        source["verifier_scores"] = input_fingerprint(cfg.verifier_scores)
    pool = load_pool(cfg.data, data_stage, cfg.verifier_scores)
    orders = {s: check_sizes(pool, s, cfg.sizes, cfg.subset_seed) for s in cfg.selections}
    for selection, order in orders.items():
        meta = {**source, "selection": selection, "seed": cfg.subset_seed, "stage": data_stage}
        for n in cfg.sizes:
            write(pool, order, n, sweep_dir / SUBSETS_DIR / subset_name(selection, n), meta)
    if cfg.stage2_sizes:
        stage2 = cfg.sft_stage2.data_stage or 2
        pool2 = load_pool(cfg.data, stage2)
        require(bool(pool2.keys), f"empty subset: {pool2.source} has no stage-{stage2} rows")
        order = random_order(pool2.keys, cfg.subset_seed)
        meta = {**source, "selection": "all", "seed": cfg.subset_seed, "stage": stage2}
        write(pool2, order, len(order), sweep_dir / SUBSETS_DIR / STAGE2_SUBSET, meta)


def plan_sweep(cfg: SweepConfig) -> tuple[Path, list[TrialPlan], str]:
    """Checks, subsets and ``sweep.json``; returns the folder, the plans and the plan's hash."""
    sweep_dir = Path(cfg.run_dir).resolve()
    check_models(cfg)
    write_subsets(cfg, sweep_dir)
    plans = build_plans(cfg, sweep_dir)
    return sweep_dir, plans, write_plan(cfg, sweep_dir, plans)


def write_plan(cfg: SweepConfig, sweep_dir: Path, plans: list[TrialPlan]) -> str:
    """``sweep.json``: the config and every trial's plan; returns the plan's hash."""
    from skyray.atomic import write_json_atomic

    trials = [p.to_dict() for p in plans]
    plan_hash = hashlib.sha256(json.dumps(trials, sort_keys=True).encode()).hexdigest()[:8]
    sweep_dir.mkdir(parents=True, exist_ok=True)
    record = {"config": to_dict(cfg), "plan_hash": plan_hash, "trials": trials}
    write_json_atomic(sweep_dir / PLAN_FILE, record)
    return plan_hash


def _trial_name(trial: Any) -> str:
    return str(trial.config["trial"]["name"])


def make_tuner(cfg: SweepConfig, sweep_dir: Path, plans: list[TrialPlan], name: str, retry: bool):
    """A new Tune experiment over the plans, or the interrupted one restored."""
    from ray import tune

    from skyray.sweep.trainable import run_trial

    bound = tune.with_parameters(run_trial, plans={p.name: p.to_dict() for p in plans})
    trainable = tune.with_resources(bound, dict(cfg.trial_resources))
    path = sweep_dir / name
    if tune.Tuner.can_restore(str(path)):
        logger.info("sweep: restoring the interrupted Tune experiment %s", path)
        return tune.Tuner.restore(str(path), trainable=trainable, resume_errored=retry)
    return tune.Tuner(
        trainable,
        param_space={"trial": tune.grid_search([{"name": p.name, **p.params} for p in plans])},
        tune_config=tune.TuneConfig(
            max_concurrent_trials=cfg.max_concurrent_trials,
            trial_name_creator=_trial_name,
            trial_dirname_creator=_trial_name,
        ),
        run_config=tune.RunConfig(
            name=name,
            storage_path=str(sweep_dir),
            failure_config=tune.FailureConfig(max_failures=cfg.max_trial_failures),
            verbose=1,
        ),
    )


def record_errors(grid: Any, plans: dict[str, TrialPlan]) -> None:
    """A trial that died before it could say why (its actor crashed, a bad argument) gets its
    Tune error as its status, so the report lists every failure."""
    from skyray.sweep.trainable import one_line, read_status, write_status

    for result in grid:
        plan = plans.get(str(result.config.get("trial", {}).get("name")))
        if result.error is None or plan is None:
            continue
        folder = Path(plan.folder)
        if read_status(folder).get("status") != "failed":
            folder.mkdir(parents=True, exist_ok=True)
            write_status(folder, plan, "failed", error=one_line(result.error))


def discard_trials(sweep_dir: Path, experiment: str) -> None:
    """``--force``: forget every trial's steps and the Tune experiment (the subsets stay: they
    are a function of the data and the config)."""
    import shutil

    from skyray.sweep.plan import TRIALS_DIR
    from skyray.sweep.report import REPORT_DIR

    for name in (TRIALS_DIR, experiment, REPORT_DIR):
        shutil.rmtree(sweep_dir / name, ignore_errors=True)


def run_sweep(
    cfg: SweepConfig, address: str | None = None, retry_failed: bool = False, force: bool = False
) -> tuple[Path, dict[str, dict[str, Any]]]:
    """Plan, run (or resume) every trial, write the report; returns the folder and each trial's
    status record (``status``: done / failed / ..., ``error``, ``metrics``). ``force`` runs every
    trial again from scratch."""
    from skyray.cluster import init_ray
    from skyray.sweep.report import write_scaling_report
    from skyray.sweep.trainable import read_status

    sweep_dir, plans, plan_hash = plan_sweep(cfg)
    if force:
        discard_trials(sweep_dir, f"tune-{plan_hash}")
    init_ray(address)
    grid = make_tuner(cfg, sweep_dir, plans, f"tune-{plan_hash}", retry_failed).fit()
    record_errors(grid, {p.name: p for p in plans})
    write_scaling_report(sweep_dir)
    return sweep_dir, {p.name: read_status(Path(p.folder)) for p in plans}
