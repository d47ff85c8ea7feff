"""The grid expanded into trial plans: plain data a Tune trial needs, with absolute paths (a trial
runs in its own process and working directory, maybe on another node).

A trial's folder ``trials/<name>/`` reads like a pipeline run folder: ``step-4-sft``,
``step-5-eval`` and, for sizes in ``stage2_sizes``, ``step-6-sft`` (stage 2 from stage 1's
export) and ``step-7-eval``; any of them can be inspected, evaluated again or continued with the
ordinary ``skyray sft`` / ``skyray eval run`` commands.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from skyray.config import to_dict
from skyray.eval.run import EvalConfig
from skyray.pipeline import STEP_NUMBERS
from skyray.sweep.config import SweepConfig, with_axis
from skyray.sweep.subsets import subset_name
from skyray.train.config import SFTConfig

TRIALS_DIR = "trials"
SUBSETS_DIR = "subsets"
STAGE2_SUBSET = "stage2"
SFT_STEP, EVAL_STEP = STEP_NUMBERS["sft"], STEP_NUMBERS["eval"]
SFT2_STEP, EVAL2_STEP = STEP_NUMBERS["sft-stage2"], STEP_NUMBERS["eval-stage2"]


@dataclass(kw_only=True)
class TrialPlan:
    name: str  # trial name and folder name under trials/
    folder: str  # absolute trial folder
    params: dict[str, Any]  # the grid point: model, size, selection, seed, then sft_axes keys
    data: str  # the subset folder stage 1 trains on
    sft: dict[str, Any]  # SFTConfig of stage 1 (model resolved)
    eval: dict[str, Any]  # EvalConfig (paths resolved)
    stage2_data: str = ""  # stage-2 rows ("" = no stage 2 for this trial)
    sft_stage2: dict[str, Any] = field(default_factory=dict)  # SFTConfig of stage 2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialPlan:
        return cls(**data)


def _absolute(path: str) -> str:
    """A local path made absolute; Hub ids and "" unchanged."""
    if path and Path(path).expanduser().exists():
        return str(Path(path).expanduser().resolve())
    return path


def _label(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(value))


def trial_name(params: dict[str, Any], axes: list[str]) -> str:
    base = f"{params['model']}-n{params['size']}-{params['selection']}-s{params['seed']}"
    return base + "".join(f"-{key}{_label(params[key])}" for key in axes)


def resolved_eval(cfg: EvalConfig) -> EvalConfig:
    import os

    data_dir = cfg.data_dir or os.environ.get("SKYRAY_DATA_DIR", "")
    return replace(
        cfg,
        data_dir=_absolute(data_dir),
        benchmarks=[_absolute(b) if b.endswith(".jsonl") else b for b in cfg.benchmarks],
        training_manifest=_absolute(cfg.training_manifest),
    )


def _recipe(base: SFTConfig, model: str, seed: int, axes: dict[str, Any]) -> SFTConfig:
    cfg = with_axis(base, {**axes, "seed": seed})
    return replace(cfg, model=_absolute(model), tokenizer=_absolute(cfg.tokenizer))


def build_plans(cfg: SweepConfig, sweep_dir: Path) -> list[TrialPlan]:
    """One plan per grid point, in grid order (sizes innermost, so small trials come first)."""
    sweep_dir = sweep_dir.resolve()
    axes = list(cfg.sft_axes)
    eval_dict = to_dict(resolved_eval(cfg.eval))
    plans = []
    grid = itertools.product(
        cfg.models, cfg.selections, cfg.seeds, *[cfg.sft_axes[k] for k in axes], cfg.sizes
    )
    for spec, selection, seed, *rest in grid:
        *axis_values, size = rest
        axis = dict(zip(axes, axis_values, strict=True))
        params = {"model": spec.name, "size": size, "selection": selection, "seed": seed, **axis}
        name = trial_name(params, axes)
        folder = sweep_dir / TRIALS_DIR / name
        stage1 = spec.sft or cfg.sft
        sft = _recipe(stage1, spec.model or stage1.model, seed, axis)
        plan = TrialPlan(
            name=name,
            folder=str(folder),
            params=params,
            data=str(sweep_dir / SUBSETS_DIR / subset_name(selection, size)),
            sft=to_dict(sft),
            eval=eval_dict,
        )
        if size in cfg.stage2_sizes:
            stage1_dir = folder / f"step-{SFT_STEP}-sft"  # stage 2 starts from its export
            sft2 = _recipe(spec.sft_stage2 or cfg.sft_stage2, str(stage1_dir), seed, axis)
            plan.stage2_data = str(sweep_dir / SUBSETS_DIR / STAGE2_SUBSET)
            plan.sft_stage2 = to_dict(replace(sft2, model=str(stage1_dir)))
        plans.append(plan)
    return plans
