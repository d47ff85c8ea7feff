"""Which operator augments which problem: a deterministic, unbounded task sequence per stage.

Task ``i`` takes problem ``order[i % n]`` (a seeded shuffle of the stage's problems), as its
``i // n``-th sample, and draws its family (MetaMath/Evol/Xwin, by the mix weights), MetaMath
method, or Evol chain (length 1..max_steps, a strategy per step) from hashes of
(config seed, stage, problem id, sample index). The same config always plans the same tasks, which
is what lets a killed job be rerun into the same output.
"""

from __future__ import annotations

import hashlib
import random

from skyray.records import Problem
from skyray.synth.config import SynthConfig
from skyray.synth.context import Task


def _unit(*parts: object) -> float:
    """A deterministic float in [0, 1) from ``parts``."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / float(16**13)


def _pick(weights: dict[str, float], u: float) -> str:
    total = sum(weights.values())
    acc = 0.0
    for name, weight in weights.items():
        acc += weight / total
        if u < acc:
            return name
    return next(name for name, w in reversed(list(weights.items())) if w > 0)


class TaskPlanner:
    """``planner.task(i)`` for i = 0, 1, 2, ... over ``problems`` (see the module docstring)."""

    def __init__(
        self,
        problems: list[Problem],
        cfg: SynthConfig,
        stage: int,
        phase: str,
        roots: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        if not problems:
            raise ValueError(f"synthesis phase {phase}: no problems to augment")
        self.problems = sorted(problems, key=lambda p: p.id)
        random.Random(f"{cfg.seed}:{phase}").shuffle(self.problems)
        self.cfg, self.stage, self.phase = cfg, stage, phase
        self.roots = roots or {}  # problem id -> (root seed id, parent sample id)

    def task(self, index: int) -> Task:
        n = len(self.problems)
        problem, sample_index = self.problems[index % n], index // n
        key = (self.cfg.seed, self.phase, problem.id, sample_index)
        mix = self.cfg.mix
        family = _pick(
            {"metamath": mix.metamath, "evol": mix.evol, "xwin": mix.xwin}, _unit(*key, "family")
        )
        if family == "metamath":
            ops: tuple[str, ...] = (_pick(mix.metamath_ops, _unit(*key, "method")),)
        elif family == "evol":
            length = 1 + int(_unit(*key, "length") * self.cfg.evol.max_steps)
            strategies = self.cfg.evol.strategies
            ops = tuple(
                strategies[int(_unit(*key, "step", k) * len(strategies))] for k in range(length)
            )
        else:
            ops = ("xwin",)
        root_id, parent_id = self.roots.get(problem.id, (problem.id, ""))
        return Task(
            index=index,
            seed=problem,
            root_id=root_id,
            parent_id=parent_id,
            family=family,
            ops=ops,
            sample_index=sample_index,
            stage=self.stage,
        )
