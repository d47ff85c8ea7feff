"""The self-compare stage's config (``stage: selfcompare``): who answers, which problems, the
teacher, the hint format, the rounds and the SFT recipe run after each round."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skyray.config import require, require_seconds
from skyray.llm.config import SamplingConfig, TeacherConfig, teacher_sampling
from skyray.llm.generation import GenerationConfig
from skyray.train.config import SFTConfig

DEFAULT_HINT = "{question} (Hint: The answer is near to {previous})."
DEFAULT_NO_ANSWER_HINT = "{question} (Hint: A previous attempt reached no final answer.)"


@dataclass(kw_only=True)
class SelfCompareConfig:
    # round 1's model: an sft step folder (its model/ export), a model folder, or the name an
    # OpenAI-compatible endpoint serves it under (generation.backend: openai); --model sets it
    model: str = ""
    # training problems with gold answers: a seeds Parquet, a seeds/synth/curate step folder,
    # Parquet or JSONL files or folders of them (problem|question + answer|gold columns)
    problems: list[str] = field(default_factory=list)
    limit: int | None = None  # first N (>= 1) problems after the seeded shuffle (null = all)
    num_rounds: int = 1  # sub-datasets; round k+1 is answered by round k's SFT model
    split: Literal["disjoint", "all"] = "disjoint"  # disjoint sub-datasets (the paper), or all
    seed: int = 0  # shuffle before the split into rounds
    generation: GenerationConfig = field(default_factory=GenerationConfig)  # the model's answers
    # backend for models this stage trains (rounds 2+) when round 1 answers through an endpoint,
    # which does not serve them
    trained_backend: Literal["transformers", "vllm"] = "transformers"
    grader: Literal["strict", "equiv"] = "equiv"  # the shared grader's mode for the answers
    grade_timeout_s: float = 2.0  # limit per symbolic comparison
    teacher_backend: Literal["openai", "local"] = "openai"  # local: in-process deterministic
    teacher: TeacherConfig = field(default_factory=TeacherConfig)  # the synthesis teacher client
    teacher_sampling: SamplingConfig = field(default_factory=teacher_sampling)  # 0.7, 1,024 tokens
    hint_template: str = DEFAULT_HINT  # training question: {question} + {previous} answer
    no_answer_hint: str = DEFAULT_NO_ANSWER_HINT  # training question when nothing was extracted
    include_no_answer: bool = True  # answers without a final answer also get self-compare samples
    confirm_ratio: float = 0.0  # share of solved problems that add a confirmation sample
    # a round's compare step fails (no _SUCCESS) when the teacher's usable replies fall under
    # this share of the samples it was asked for (a broken teacher is not a finished round)
    min_output_fraction: float = 0.5
    train: bool = True  # SFT on each round's samples (off: samples only, one round)
    train_last_round: bool = True  # also train after the last round (its model answers nothing)
    # the SFT recipe run after each round; it trains the round's answering model (sft.model is
    # only read when round 1 answers through an endpoint: the weights that endpoint serves)
    sft: SFTConfig = field(default_factory=SFTConfig)

    def __post_init__(self) -> None:
        require(
            self.limit is None or self.limit >= 1,
            f"limit must be >= 1 (first N problems), or null for all; got {self.limit}",
        )
        require(
            0.0 <= self.min_output_fraction <= 1.0,
            f"min_output_fraction must be in [0, 1], got {self.min_output_fraction}",
        )
        require(self.num_rounds >= 1, f"num_rounds must be >= 1, got {self.num_rounds}")
        require(
            self.train or self.num_rounds == 1,
            "num_rounds > 1 needs train: true (round k+1 is answered by round k's SFT model)",
        )
        require_seconds(self.grade_timeout_s, "grade_timeout_s")
        require(0.0 <= self.confirm_ratio <= 1.0, "confirm_ratio must be in [0, 1]")
        require(
            self.generation.sampling.num_samples == 1,
            "selfcompare grades one answer per problem: generation.sampling.num_samples must be 1",
        )
        for name in ("hint_template", "no_answer_hint"):
            require(
                "{question}" in getattr(self, name),
                f"{name} must contain {{question}}: {getattr(self, name)!r}",
            )
        require("{previous}" in self.hint_template, "hint_template must contain {previous}")
        require(self.teacher_sampling.max_tokens >= 16, "sampling.max_tokens must be >= 16")
