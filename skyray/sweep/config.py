"""The ``sweep`` stage's config: a grid of SFT + evaluation trials over nested data subsets.

The grid is data size x base model x selection (random or verifier-ranked) x SFT seed x any SFT
option named in ``sft_axes`` (e.g. ``max_length: [512, 2048]``, the paper's ablation). Every trial
trains with SkyRay's SFT recipe (``sft``, or the model's own config) and evaluates with the
evaluation stage (``eval``); sizes listed in ``stage2_sizes`` continue with curriculum stage 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from skyray.config import ConfigError, from_dict, require, to_dict
from skyray.eval.run import EvalConfig
from skyray.train.config import SFTConfig

SELECTIONS = ("random", "verifier")
# SFT fields a sweep sets itself (per trial), so they cannot be an axis
RESERVED_SFT_FIELDS = ("model", "data_path", "seed")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(kw_only=True)
class ModelSpec:
    name: str  # label in tables, plots and trial folder names (letters, digits, . _ -)
    model: str = ""  # Hub id, model folder or sft step folder; "" = the recipe's own model
    sft: SFTConfig | None = None  # this model's stage-1 recipe (e.g. its paper config file);
    # None = the sweep's ``sft``
    sft_stage2: SFTConfig | None = None  # its stage-2 recipe; None = the sweep's ``sft_stage2``

    def __post_init__(self) -> None:
        require(bool(NAME_RE.match(self.name)), f"model name {self.name!r}: use letters, . _ -")


@dataclass(kw_only=True)
class ReportConfig:
    grader: str = ""  # grader of the tables, plots and fits ("" = the first of eval.graders)
    target_accuracy: float = 0.5  # accuracy whose data size the fitted curves extrapolate
    targets: dict[str, float] = field(default_factory=dict)  # per-benchmark targets (override)

    def __post_init__(self) -> None:
        for name, value in {"target_accuracy": self.target_accuracy, **self.targets}.items():
            require(0 < value < 1, f"report target for {name} must be in (0, 1), got {value}")


@dataclass(kw_only=True)
class SweepConfig:
    run_dir: str = "runs/sweep"  # the sweep folder: subsets/, trials/, tune/, report/
    data: str = ""  # curated Parquet file or folder (a curate step's kept/) all subsets come from
    sizes: list[int] = field(default_factory=list)  # training-set sizes (rows of the stage-1
    # recipe's data_stage); each subset is a prefix of the next larger one
    models: list[ModelSpec] = field(default_factory=list)  # base models (one grid axis)
    seeds: list[int] = field(default_factory=lambda: [42])  # SFT seeds (init, data order); the
    # subsets stay the same for every seed
    selections: list[Literal["random", "verifier"]] = field(
        default_factory=lambda: ["random"]
    )  # "random": a fixed
    # shuffle by sample id; "verifier": highest verifier_score first (Table 4's comparison)
    verifier_scores: str = ""  # Parquet with id + verifier_score (skyray eval verify's
    # scored.parquet); "" = the data's own verifier_score column
    subset_seed: int = 0  # the fixed shuffle of the random selection
    sft_axes: dict[str, list[Any]] = field(default_factory=dict)  # SFT options as grid axes,
    # e.g. {max_length: [512, 2048]}; applied to both curriculum stages
    stage2_sizes: list[int] = field(default_factory=list)  # sizes whose trials continue with
    # curriculum stage 2 on every stage-2 row (the report's stage-2 column)
    sft: SFTConfig = field(default_factory=SFTConfig)  # the stage-1 recipe (model from models)
    sft_stage2: SFTConfig = field(default_factory=lambda: SFTConfig(data_stage=2))  # stage 2
    eval: EvalConfig = field(default_factory=EvalConfig)  # every trial's evaluation
    max_concurrent_trials: int = 1  # trials in flight (e.g. GPUs / sft.num_workers)
    trial_resources: dict[str, float] = field(default_factory=lambda: {"CPU": 1.0})  # what a
    # trial holds for its driver and in-process evaluation (transformers backend); the SFT
    # workers (sft.num_workers), Ray Data tokenization and vLLM replicas reserve their own
    max_trial_failures: int = 0  # Tune relaunches of a failed trial (SFT resumes its checkpoint)
    report: ReportConfig = field(default_factory=ReportConfig)

    def __post_init__(self) -> None:
        require(bool(self.sizes), "sweep.sizes must list at least one data size")
        require(all(n >= 1 for n in self.sizes), f"sweep.sizes must be >= 1, got {self.sizes}")
        require(len(set(self.sizes)) == len(self.sizes), f"duplicate sizes in {self.sizes}")
        require(bool(self.models), "sweep.models must list at least one base model")
        names = [m.name for m in self.models]
        require(len(set(names)) == len(names), f"duplicate model names in {names}")
        require(bool(self.seeds), "sweep.seeds must not be empty")
        require(len(set(self.seeds)) == len(self.seeds), f"duplicate seeds in {self.seeds}")
        require(bool(self.selections), f"selections must list some of {SELECTIONS}")
        require(len(set(self.selections)) == len(self.selections), "duplicate selections")
        extra = sorted(set(self.stage2_sizes) - set(self.sizes))
        require(not extra, f"stage2_sizes {extra} are not among sizes {self.sizes}")
        require(self.max_concurrent_trials >= 1, "max_concurrent_trials must be >= 1")
        require(bool(self.trial_resources), "trial_resources must name at least one resource")
        require(all(v >= 0 for v in self.trial_resources.values()), "trial_resources must be >= 0")
        require(
            any(v > 0 for v in self.trial_resources.values()),
            "trial_resources must request some resource (Tune cannot place an empty trial)",
        )
        require(self.max_trial_failures >= -1, "max_trial_failures must be >= -1")
        for key, values in self.sft_axes.items():
            self._check_axis(key, values)
        require(
            not self.report.grader or self.report.grader in self.eval.graders,
            f"report.grader {self.report.grader!r} is not among eval.graders {self.eval.graders}",
        )

    def _check_axis(self, key: str, values: list[Any]) -> None:
        known = set(to_dict(self.sft))
        require(key in known, f"sft_axes: {key!r} is not an SFT option; known: {sorted(known)}")
        require(key not in RESERVED_SFT_FIELDS, f"sft_axes: {key!r} is set by the sweep itself")
        require(bool(values), f"sft_axes.{key} must list at least one value")
        require(len({repr(v) for v in values}) == len(values), f"duplicate values in {key}")
        for value in values:  # each value must make a valid recipe
            for recipe in self.stage1_recipes():
                with_axis(recipe, {key: value})

    def stage1_recipes(self) -> list[SFTConfig]:
        return [m.sft or self.sft for m in self.models]

    @property
    def grader(self) -> str:
        return self.report.grader or self.eval.graders[0]


def with_axis(cfg: SFTConfig, values: dict[str, Any]) -> SFTConfig:
    """``cfg`` with the axis values set, validated like a config file."""
    try:
        return from_dict(SFTConfig, {**to_dict(cfg), **values}, "sft")
    except ValueError as exc:
        raise ConfigError(f"sft_axes {values}: {exc}") from None
