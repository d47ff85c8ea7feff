"""One self-compare round: three resumable steps in ``round-<k>/`` of the stage's folder.

- ``step-1-answer/``: ``answers.parquet``, the model's graded answers to the round's problems;
- ``step-2-compare/``: ``samples.parquet`` (self-compare and confirmation samples),
  ``cache/`` (teacher replies, :mod:`skyray.llm.cache`: a rerun sends nothing twice), drops
  and teacher usage;
- ``step-3-sft/``: the SFT recipe on the round's samples, starting from the answering model;
  its ``model/`` export answers the next round.

Each step has its own manifest and ``_SUCCESS`` marker (:mod:`skyray.runs`), so a killed run
resumes at the first unfinished step of the first unfinished round.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyray.config import require
from skyray.llm.config import SamplingConfig, TeacherConfig
from skyray.llm.generation import GenerationConfig
from skyray.selfcompare.config import SelfCompareConfig
from skyray.selfcompare.problems import TrainProblem

logger = logging.getLogger(__name__)
SAMPLES = "samples.parquet"
CACHE = "cache"
MODEL_DIR = "model"


@dataclass(kw_only=True)
class AnswerSpec:
    """What a round's answers depend on (the answer step's fingerprint)."""

    round: int
    problems: str  # hash of the round's (id, problem, gold) rows
    generation: GenerationConfig
    grader: str
    grade_timeout_s: float


@dataclass(kw_only=True)
class CompareSpec:
    """What a round's samples depend on besides its answers (the compare step's fingerprint)."""

    round: int
    teacher_backend: str
    teacher: TeacherConfig
    teacher_sampling: SamplingConfig
    hint_template: str
    no_answer_hint: str
    include_no_answer: bool
    confirm_ratio: float
    seed: int


@dataclass
class RoundResult:
    round: int
    path: Path  # round-<k>/
    model: str  # the model that answered
    answers: Path  # step-1-answer/
    compare: Path  # step-2-compare/
    sft: Path | None  # step-3-sft/, None when not trained
    next_model: str  # what answers the next round


def problems_hash(problems: list[TrainProblem]) -> str:
    blob = json.dumps([(p.id, p.problem, p.gold) for p in problems], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def local_model(model: str) -> str:
    """A finished sft step folder -> its ``model/`` export; anything else unchanged."""
    from skyray.runs import SUCCESS

    path = Path(model)
    if (path / MODEL_DIR / "config.json").is_file():
        if not (path / SUCCESS).is_file():
            raise ValueError(f"{path} is an sft step that did not finish")
        return str(path / MODEL_DIR)
    return model


def generation_for(cfg: SelfCompareConfig, model: str, trained: bool) -> GenerationConfig:
    """The generation config answering with ``model`` (``trained``: a model this stage wrote,
    which an endpoint does not serve)."""
    gen = cfg.generation
    if trained and gen.backend == "openai":
        gen = dataclasses.replace(gen, backend=cfg.trained_backend)
    if gen.backend != "openai":
        model = local_model(model)
    return dataclasses.replace(gen, model=model)


def build_context(cfg: SelfCompareConfig, cache_path: str | Path):
    """The synthesis teacher client (with its response cache) wrapped for templated asks."""
    from skyray.llm import LocalTeacher, OpenAITeacher, ResponseCache
    from skyray.llm.backends import LocalBackendSpec, make_backend
    from skyray.synth.context import OpContext

    cache = ResponseCache(cache_path)
    if cfg.teacher_backend == "local":  # the deterministic teacher, answering from the prompts
        backend = make_backend(LocalBackendSpec("deterministic", cfg.teacher.model))
        teacher = LocalTeacher(backend, cache=cache)
    else:
        teacher = OpenAITeacher(cfg.teacher, cache=cache)
        teacher.check()
    return OpContext(teacher, cfg.teacher_sampling.request_params()), cache


def answer_step(cfg, round_dir: Path, k: int, problems, gen: GenerationConfig, address) -> Path:
    from skyray.runs import Step
    from skyray.selfcompare.answers import ANSWERS, answer_problems, status_counts, write_answers

    spec = AnswerSpec(
        round=k,
        problems=problems_hash(problems),
        generation=gen,
        grader=cfg.grader,
        grade_timeout_s=cfg.grade_timeout_s,
    )
    inputs = [gen.model] if Path(gen.model).is_dir() else []
    step = Step(round_dir, 1, "answer")
    if step.is_done(spec, inputs):
        logger.info("selfcompare: %s is done, skipping", step.path)
        return step.path
    step.start(reset=True)
    rows, stats = answer_problems(problems, gen, cfg.grader, cfg.grade_timeout_s, k, address)
    write_answers(rows, step.path / ANSWERS)
    step.finish(spec, inputs, rows=status_counts(rows), extra={"throughput": stats.as_dict()})
    return step.path


def compare_step(cfg: SelfCompareConfig, round_dir: Path, k: int, answers_dir: Path) -> Path:
    from skyray.runs import Step
    from skyray.selfcompare.answers import ANSWERS, read_answers
    from skyray.selfcompare.samples import compare_round, write_samples
    from skyray.storage import remote_of

    spec = CompareSpec(
        round=k,
        teacher_backend=cfg.teacher_backend,
        teacher=cfg.teacher,
        teacher_sampling=cfg.teacher_sampling,
        hint_template=cfg.hint_template,
        no_answer_hint=cfg.no_answer_hint,
        include_no_answer=cfg.include_no_answer,
        confirm_ratio=cfg.confirm_ratio,
        seed=cfg.seed,
    )
    step = Step(round_dir, 2, "compare")
    if step.is_done(spec, [answers_dir]):
        logger.info("selfcompare: %s is done, skipping", step.path)
        return step.path
    step.start(reset=False)  # keep cache/: a rerun resends nothing already answered
    ctx, cache = build_context(cfg, remote_of(step.path / CACHE))  # on the storage if a URI
    try:
        samples, drops, requested = compare_round(read_answers(answers_dir / ANSWERS), cfg, ctx)
        write_samples(samples, step.path / SAMPLES)
    finally:
        cache.close()
    usage = ctx.teacher.usage
    _check_output(cfg, step.path, len(samples), sum(requested.values()), drops)
    kinds = {op: sum(s.operator == op for s in samples) for op in sorted(requested)}
    step.finish(
        spec,
        [answers_dir],
        rows={"samples": len(samples), "requested": sum(requested.values())},
        extra={
            "requested": dict(requested),
            "written": kinds,
            "drops": dict(drops),
            "usage": usage.as_dict(),
            "tokens": {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens},
            "cost_usd": round(usage.total_cost_usd, 6),  # replies from the cache included
        },
    )
    return step.path


def _check_output(cfg, path: Path, got: int, asked: int, drops) -> None:
    """Refuse to finish a compare step whose teacher gave too few usable replies."""
    from skyray.errors import StepFailedError

    fraction = cfg.min_output_fraction
    if asked == 0 or (got >= fraction * asked and (got > 0 or fraction == 0)):
        return
    reasons = ", ".join(f"{r} x{n}" for r, n in drops.most_common(3)) or "none"
    raise StepFailedError(
        f"selfcompare: {path} wrote {got} of {asked} samples (min_output_fraction "
        f"{cfg.min_output_fraction:g}); drops: {reasons}; not marked done: fix the cause and rerun"
    )


def sft_step(cfg, round_dir: Path, base_model: str, samples: Path, address) -> Path:
    from skyray.train.trainer import run_sft

    sft_cfg = dataclasses.replace(cfg.sft, model=base_model)
    return run_sft(sft_cfg, round_dir, 3, samples, address)


def run_round(
    cfg: SelfCompareConfig,
    stage_dir: Path,
    k: int,
    problems: list[TrainProblem],
    model: str,
    address: str | None = None,
) -> RoundResult:
    """Round ``k``: ``model`` answers ``problems``, the teacher writes samples, SFT trains."""
    from skyray.runs import read_manifest

    round_dir = stage_dir / f"round-{k}"
    gen = generation_for(cfg, model, trained=k > 1)
    answers = answer_step(cfg, round_dir, k, problems, gen, address)
    compare = compare_step(cfg, round_dir, k, answers)
    result = RoundResult(k, round_dir, gen.model, answers, compare, None, model)
    last = k == cfg.num_rounds
    if not cfg.train or (last and not cfg.train_last_round):
        return result
    if not read_manifest(compare)["rows"]["samples"]:
        logger.warning("selfcompare round %d wrote no samples: no SFT, the model carries on", k)
        return result
    base = model
    if k == 1 and cfg.generation.backend == "openai":  # an endpoint's name is not a checkpoint
        require(
            bool(cfg.sft.model),
            "selfcompare answers through an endpoint: set sft.model to the weights it serves",
        )
        base = cfg.sft.model
    result.sft = sft_step(cfg, round_dir, base, compare / SAMPLES, address)
    result.next_model = str(result.sft)
    return result


def round_summary(result: RoundResult) -> dict[str, Any]:
    """Everything the report says about one round, read from its steps' manifests."""
    from skyray.runs import read_manifest

    answers = read_manifest(result.answers)
    compare = read_manifest(result.compare)
    summary = {
        "round": result.round,
        "model": result.model,
        **answers["rows"],
        "requested": compare["requested"],
        "samples": compare["rows"]["samples"],
        "written": compare["written"],
        "drops": compare["drops"],
        "teacher_tokens": compare["tokens"],
        "teacher_requests": {k: compare["usage"][k] for k in ("requests", "sent", "cached")},
        "cost_usd": compare["cost_usd"],
        "sft": None,
    }
    if result.sft is not None:
        sft = read_manifest(result.sft)
        summary["sft"] = {
            "path": str(result.sft),
            "model": sft.get("model"),
            "rows": sft.get("rows"),
            "final_metrics": {
                k: v for k, v in sft.get("final_metrics", {}).items() if k in ("loss", "step")
            },
        }
    return summary
