"""The two-stage synthesis step: ``run_synth(cfg, run_dir, index, seeds_path)``.

Phases, each a deterministic task sequence cut at its target (:mod:`skyray.synth.runner`):

- ``1a``: seeds -> ``num_seed_synthetic`` seed-synthetic samples (``seed_synthetic.parquet``);
- core-set: k-center greedy over their questions' embeddings (``coreset.json``);
- ``1b``: the core-set problems -> ``num_normal`` normal synthetic samples;
- ``2``: seeds of MATH levels ``hard_levels`` -> ``num_hard`` hard samples (``stage=2``);
- optional PHP twins (``php.ratio``): question + hint of earlier answers -> the same solution
  (:mod:`skyray.synth.php`), added after the phases.

Output: ``runs/<run>/step-<index>-synth/synthetic.parquet`` (:class:`SyntheticSample` rows,
which ``skyray curate`` reads) and ``manifest.json`` with rows, drops by reason, teacher usage
(tokens, cost) and the core-set report. Teacher replies are cached in ``cache/`` in the step
folder (:mod:`skyray.llm.cache`: append-only segments every worker on every node writes at
once; on a URI storage root it lives on the storage, not in the local staging copy), which a
rerun keeps: a killed job is simply run again and pays for nothing twice. ``cost_usd`` in the
manifest is what the whole step's replies cost, those served from the cache included.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from skyray.records import Problem, SyntheticSample
from skyray.synth.config import SynthConfig
from skyray.synth.progress import UsageMeter

logger = logging.getLogger("skyray.synth")
OUTPUT = "synthetic.parquet"
SEED_SYNTHETIC = "seed_synthetic.parquet"
CACHE = "cache"  # the response cache folder in the step folder


def as_problem(sample: SyntheticSample) -> Problem:
    """A seed-synthetic sample as a problem to augment further (stage 1b)."""
    return Problem(
        id=sample.id,
        problem=sample.question,
        answer=sample.answer or "",
        solution=sample.response,
        level=sample.level,
        subject=sample.subject,
        source="synth",
    )


def refuse_test_seeds(seeds: list[Problem], where: Path) -> None:
    """Evaluation items never seed synthesis: refuse rows whose source is a test benchmark."""
    from skyray.data.benchmarks import get_benchmark

    for source in sorted({p.source for p in seeds if p.source}):
        try:
            role = get_benchmark(source).role
        except KeyError:
            continue  # not a registry name (the user's own problems)
        if role == "test":
            raise ValueError(f"{where}: seeds from {source!r}, an evaluation set, are refused")


def write_samples(samples: list[SyntheticSample], path: Path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_parquet_atomic

    ids = Counter(s.id for s in samples)
    assert all(c == 1 for c in ids.values()), "sample ids must be unique"
    table = pa.Table.from_pylist(
        [s.to_row() for s in samples], schema=SyntheticSample.arrow_schema()
    )
    write_parquet_atomic(path, table)


def read_samples(path: str | Path) -> list[SyntheticSample]:
    import pyarrow.parquet as pq

    return [SyntheticSample.from_row(r) for r in pq.read_table(path).to_pylist()]


def check_phase(phase, target: int, cfg: SynthConfig, step_path: Path) -> None:
    """Fail the step (no ``_SUCCESS``, partial outputs removed) when a phase wrote no sample or
    fewer than ``min_output_fraction`` of its target; the line names the main drop reasons."""
    from skyray.errors import StepFailedError

    got = len(phase.samples)
    if got > 0 and got >= cfg.min_output_fraction * target:
        return
    for name in (OUTPUT, SEED_SYNTHETIC):  # never leave a half run's samples behind
        (step_path / name).unlink(missing_ok=True)
    reasons = ", ".join(f"{reason} x{n}" for reason, n in phase.drops.most_common(3))
    raise StepFailedError(
        f"synth: phase {phase.phase} wrote {got} of {target} samples "
        f"(min_output_fraction {cfg.min_output_fraction:g}) after {phase.tasks} tasks; "
        f"drops: {reasons or 'none'}; {step_path} is not marked done: fix the cause and rerun"
    )


def _engine(cfg: SynthConfig, cache, seeds: list[Problem], cache_path: str, address):
    from skyray.synth.build import build_context
    from skyray.synth.runner import LocalEngine, RayEngine

    if cfg.num_workers == 0:
        ctx = build_context(cfg, cache, seeds)
        return LocalEngine(ctx, cfg, in_flight=2 * cfg.teacher.max_concurrency)
    from skyray.cluster import init_ray
    from skyray.llm.ratelimit import LocalRateLimiter, shared_limiter

    init_ray(address=address)
    build_context(cfg, None, seeds)  # fail fast here, once, before starting actors
    from skyray.placement import check_shared_folder

    step_dir = str(cache_path).rsplit("/", 1)[0]  # a URI stays a URI (checked by no node)
    check_shared_folder(step_dir, cfg.worker_resources, "synth")
    limiter = None
    if cfg.backend == "openai" and (cfg.teacher.rpm or cfg.teacher.tpm):
        limiter = shared_limiter("skyray-synth-rate", cfg.teacher.rpm, cfg.teacher.tpm)
    elif cfg.backend == "openai":
        limiter = LocalRateLimiter()
    return RayEngine(cfg, cache_path, seeds, limiter)


def step_cost(cfg: SynthConfig, usage, stored: dict[str, int]) -> tuple[float, dict]:
    """What the step cost: every reply its cache holds (sent by this run or by an earlier,
    killed or changed one) at the configured prices; with this run's part and the replies it
    took from the cache."""
    teacher = cfg.teacher
    total = (
        stored["prompt_tokens"] * teacher.price_prompt_per_mtok
        + stored["completion_tokens"] * teacher.price_completion_per_mtok
    ) / 1e6
    return round(total, 6), {
        "total_usd": round(total, 6),  # all replies received for this step, every run
        "sent_usd": round(usage.cost_usd, 6),  # replies this run paid for
        "cached_usd": round(usage.cached_cost_usd, 6),  # replies this run took from the cache
        "replies_stored": stored["entries"],
        "tokens_stored": {
            "prompt": stored["prompt_tokens"],
            "completion": stored["completion_tokens"],
        },
    }


def run_synth(
    cfg: SynthConfig,
    run_dir: str | Path,
    index: int = 2,
    seeds_path: str | Path | None = None,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The synthesis step (skipped when done with the same config and seeds, unless
    ``force``); its folder. Raises :class:`~skyray.errors.StepFailedError` (no ``_SUCCESS``)
    when a phase writes fewer samples than ``min_output_fraction`` of its target."""
    from skyray.data.seeds import SEEDS_FILE, read_problems
    from skyray.llm.cache import ResponseCache
    from skyray.runs import Step
    from skyray.storage import remote_of
    from skyray.synth.coreset import select_coreset
    from skyray.synth.php import php_samples
    from skyray.synth.tasks import TaskPlanner

    run_dir = Path(run_dir)
    seeds_path = Path(seeds_path or run_dir / f"step-{index - 1}-seeds" / SEEDS_FILE)
    if not seeds_path.is_file():
        raise FileNotFoundError(f"seeds file not found: {seeds_path} (run `skyray seeds` first)")
    step = Step(run_dir, index, "synth")
    if not force and step.is_done(cfg, [seeds_path]):
        logger.info("synth: %s is done, skipping", step.path)
        return step.path
    step.start(reset=False)  # keep cache/: a rerun resends nothing already answered
    seeds = read_problems(seeds_path)
    if not seeds:
        raise ValueError(f"{seeds_path} holds no seed problems")
    refuse_test_seeds(seeds, seeds_path)
    cache_path = remote_of(step.path / CACHE)  # on the storage root itself, shared live
    cache = ResponseCache(cache_path)
    engine = _engine(cfg, cache, seeds, cache_path, address)
    engine.meter = UsageMeter(step.path)  # Ray metrics skyray_synth_* (no-op without Ray)

    phases, report, output = [], {}, []
    if 1 in cfg.stages and cfg.num_seed_synthetic > 0:
        first = engine.run_phase(TaskPlanner(seeds, cfg, 1, "1a"), cfg.num_seed_synthetic)
        phases.append(first)
        check_phase(first, cfg.num_seed_synthetic, cfg, step.path)
        write_samples(first.samples, step.path / SEED_SYNTHETIC)
        if cfg.keep_seed_synthetic:
            output.extend(first.samples)
        if cfg.num_normal > 0 and first.samples:
            if cfg.coreset.enabled and cfg.coreset.use_ray:
                from skyray.cluster import init_ray

                init_ray(address=address)
            pool = [as_problem(s) for s in first.samples]
            selected, report = select_coreset(pool, cfg.coreset, cfg.seed)
            roots = {s.id: (s.seed_id, s.id) for s in first.samples}
            normal = engine.run_phase(TaskPlanner(selected, cfg, 1, "1b", roots), cfg.num_normal)
            phases.append(normal)
            check_phase(normal, cfg.num_normal, cfg, step.path)
            output.extend(normal.samples)
    if 2 in cfg.stages and cfg.num_hard > 0:
        hard_seeds = [s for s in seeds if s.level in cfg.hard_levels]
        if hard_seeds:
            hard = engine.run_phase(TaskPlanner(hard_seeds, cfg, 2, "2"), cfg.num_hard)
            phases.append(hard)
            check_phase(hard, cfg.num_hard, cfg, step.path)
            output.extend(hard.samples)
        else:
            logger.warning("synth: no seeds of levels %s: stage 2 skipped", cfg.hard_levels)
    php = php_samples(output, cfg.php, cfg.seed) if cfg.php.ratio else []
    output.extend(php)
    write_samples(output, step.path / OUTPUT)
    usage = engine.usage()
    engine.meter.export(usage, phases[-1].phase if phases else "-")  # totals = the manifest's
    rows = {"samples": len(output)} | {f"phase_{p.phase}": len(p.samples) for p in phases}
    if php:
        rows["php"] = len(php)
    extra = {
        "num_seeds": len(seeds),
        "phases": {
            p.phase: {
                "samples": len(p.samples),
                "tasks": p.tasks,
                "drops": dict(p.drops),
                "edits": dict(p.edits),
            }
            for p in phases
        },
        "drops": dict(sum((p.drops for p in phases), Counter())),
        # kept outputs changed on the way: final lines made canonical, chatty openings stripped
        "edits": dict(sum((p.edits for p in phases), Counter())),
        "operators": dict(Counter(s.operator for s in output)),
        "usage": usage.as_dict(),
        "tokens": {
            "prompt": usage.prompt_tokens + usage.cached_prompt_tokens,
            "completion": usage.completion_tokens + usage.cached_completion_tokens,
        },
        "cost_usd": 0.0,  # set below from the cache: the whole step's spend
        "coreset": report,
        "teacher": {
            "backend": cfg.backend,
            "model": cfg.teacher.model,
            "base_url": cfg.teacher.base_url,
        },
    }
    stored = cache.compact()  # the workers are done: merge their segments, total the replies
    extra["cost_usd"], extra["cost"] = step_cost(cfg, usage, stored)
    step.finish(cfg, [seeds_path], rows=rows, extra=extra)
    cache.close()
    return step.path
