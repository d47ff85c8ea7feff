"""The whole SkyRay job: the stages in order, each a resumable step of one run folder.

Step numbers are fixed so every run folder reads the same way::

    step-1-seeds  step-2-synth  step-3-curate  step-4-sft  step-5-eval

(stage 2 of the curriculum uses the same recipes with its own configs and later step numbers).
Finished steps are skipped on rerun (see :mod:`skyray.runs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from skyray.config import require
from skyray.data.seeds import SeedsConfig

STEP_NUMBERS = {"seeds": 1, "synth": 2, "curate": 3, "sft": 4, "eval": 5}


@dataclass(kw_only=True)
class PipelineConfig:
    run_dir: str = "runs/demo"  # the run folder all steps write into
    steps: list[str] = field(default_factory=lambda: ["seeds"])  # which stages to run, in order
    seeds: SeedsConfig = field(default_factory=SeedsConfig)  # step 1

    def __post_init__(self) -> None:
        unknown = [s for s in self.steps if s not in STEP_NUMBERS]
        require(not unknown, f"unknown pipeline steps {unknown}; known: {list(STEP_NUMBERS)}")
        require(bool(self.steps), "pipeline.steps must not be empty")


def run_pipeline(cfg: PipelineConfig) -> dict[str, Path]:
    """Run the configured steps; returns each step's folder."""
    from skyray.data.seeds import run_seeds

    run_dir = Path(cfg.run_dir)
    done: dict[str, Path] = {}
    for name in cfg.steps:
        if name == "seeds":
            done[name] = run_seeds(cfg.seeds, run_dir, STEP_NUMBERS[name])
        else:
            raise ValueError(f"pipeline step {name!r} is not available in this version")
    return done
