"""The evaluation stage: generate with one backend, grade with both graders, write the report.

``run_eval(cfg, run_dir, index, model_path)`` writes ``runs/<run>/step-<index>-eval/``:

- ``predictions.parquet`` (and ``.jsonl``): one row per (problem, sample) in the
  :class:`~skyray.records.Prediction` columns (graded with the first grader) plus ``problem``,
  ``num_distractors``, token counts and both graders' verdicts side by side;
- ``report.json`` and ``report.md``: see :mod:`skyray.eval.report`;
- ``manifest.json`` and ``_SUCCESS`` (a rerun with the same config and inputs is skipped).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyray.config import require, require_seconds
from skyray.eval.distractors import DistractorConfig
from skyray.eval.hints import HintConfig, HintTrace
from skyray.eval.items import EvalItem, check_benchmark_name, is_jsonl_path
from skyray.llm.generation import GenerationConfig, GenRequest, GenResult, Throughput
from skyray.math.grade import GRADER_MODES
from skyray.runs import write_report_files

logger = logging.getLogger(__name__)
PREDICTIONS = "predictions.parquet"
PREDICTIONS_JSONL = "predictions.jsonl"
MIN_ROWS_PER_WORKER = 500  # below this a grading process costs more than it saves


@dataclass(kw_only=True)
class EvalConfig:
    benchmarks: list[str] = field(default_factory=lambda: ["gsm8k-test", "math-test"])  # names,
    # aliases (gsm8k, math), gsm8k-distractors, or JSONL paths with problem + answer
    data_dir: str = ""  # benchmark data directory ("" = $SKYRAY_DATA_DIR)
    limit: int | None = None  # first N (>= 1) problems of each benchmark (null = all)
    graders: list[str] = field(default_factory=lambda: ["strict", "equiv"])  # first = primary
    grade_timeout_s: float = 2.0  # limit per symbolic comparison
    grade_workers: int = 1  # grading processes (1 = in-process; 0 = one per CPU, at most 8)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    distractors: DistractorConfig = field(default_factory=DistractorConfig)  # gsm8k-distractors
    hints: HintConfig = field(default_factory=HintConfig)  # progressive-hint prompting (off)
    training_manifest: str = ""  # training data (Parquet/JSONL, folder, or a step's
    # manifest.json) checked for overlap with the evaluated items before scoring ("" = skip)
    contamination_ngram: int = 30  # n of the n-gram match (the curation default)
    contamination_min_tokens: int = 8  # shorter benchmark texts are matched whole
    chunk_size: int = 256  # requests per progress update

    def __post_init__(self) -> None:
        require(bool(self.benchmarks), "benchmarks must name at least one benchmark")
        for name in self.benchmarks:
            check_benchmark_name(name)
        require(
            self.limit is None or self.limit >= 1,
            f"limit must be >= 1 (first N problems), or null for all; got {self.limit}",
        )
        require(bool(self.graders), "graders must not be empty")
        bad = [g for g in self.graders if g not in GRADER_MODES]
        require(not bad, f"unknown graders {bad}; choose from {GRADER_MODES}")
        require_seconds(self.grade_timeout_s, "grade_timeout_s")
        require(self.grade_workers >= 0, "grade_workers must be >= 0")
        require(self.chunk_size >= 1, "chunk_size must be >= 1")
        require(
            not self.hints.max_rounds or self.generation.sampling.num_samples == 1,
            "hints (progressive-hint prompting) work on one greedy answer: num_samples must be 1",
        )
        require(self.contamination_ngram >= 2, "contamination_ngram must be >= 2")
        require(
            1 <= self.contamination_min_tokens <= self.contamination_ngram,
            "contamination_min_tokens must be in 1..contamination_ngram",
        )


def build_requests(items: list[EvalItem], num_samples: int) -> list[GenRequest]:
    from skyray.prompt import render_prompt

    return [
        GenRequest(key=f"{i}:{s}", prompt=render_prompt(item.problem.problem), sample_index=s)
        for i, item in enumerate(items)
        for s in range(num_samples)
    ]


def prediction_rows(
    items: list[EvalItem],
    requests: list[GenRequest],
    results: list[GenResult],
    model: str,
    traces: list[HintTrace] | None = None,
) -> list[dict[str, Any]]:
    """Ungraded prediction rows, one per request, in request order."""
    rows = []
    for n, (req, res) in enumerate(zip(requests, results, strict=True)):
        trace = traces[n] if traces else None
        item = items[int(req.key.split(":", 1)[0])]
        p = item.problem
        rows.append(
            {
                "id": p.id,
                "benchmark": item.benchmark,
                "response": res.text,
                "gold": p.answer,
                "level": p.level,
                "subject": p.subject,
                "model": model,
                "sample_index": req.sample_index,
                "error": res.error,
                "extra": {},
                "problem": p.problem,
                "num_distractors": item.num_distractors,
                "prompt_tokens": res.prompt_tokens,
                "completion_tokens": res.completion_tokens,
                "finish_reason": res.finish_reason,
                "hint_rounds": trace.rounds if trace else 0,
                "hint_answers": json.dumps(trace.answers) if trace else None,
                "first_response": trace.first.text if trace and trace.first else None,
                "hint_responses": json.dumps(trace.responses) if trace else None,
            }
        )
    return rows


def grade_rows(
    rows: list[dict[str, Any]], graders: list[str], timeout_s: float, num_workers: int = 1
) -> list[dict[str, Any]]:
    """Add ``extracted_<g>``/``correct_<g>`` per grader; the first grader also fills the
    Prediction fields ``extracted``, ``correct`` and ``grader``. ``num_workers`` > 1 grades
    interleaved slices in that many processes (symbolic comparisons are CPU-bound)."""
    if num_workers > 1 and len(rows) >= 2 * MIN_ROWS_PER_WORKER:
        num_workers = min(num_workers, len(rows) // MIN_ROWS_PER_WORKER)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        slices = [rows[i::num_workers] for i in range(num_workers)]
        # spawn: the parent may hold threads (Ray, torch) that fork would copy mid-state
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(num_workers, mp_context=ctx) as pool:
            parts = list(
                pool.map(grade_rows, slices, [graders] * num_workers, [timeout_s] * num_workers)
            )
        out: list[dict[str, Any]] = [{}] * len(rows)
        for i, part in enumerate(parts):
            out[i::num_workers] = part
        return out
    from skyray.eval.score import ScoreConfig, score_rows
    from skyray.math.grade import grade

    out = [dict(r) for r in rows]
    for g in graders:
        scored_rows = score_rows(rows, ScoreConfig(grader=g, timeout_s=timeout_s))
        for row, scored in zip(out, scored_rows, strict=True):
            row[f"extracted_{g}"] = scored["extracted"]
            row[f"correct_{g}"] = bool(scored["correct"])
    primary = graders[0]
    for row in out:
        row["extracted"] = row[f"extracted_{primary}"]
        row["correct"] = row[f"correct_{primary}"]
        row["grader"] = primary
        if row.get("first_response") is not None:  # before progressive hints
            first = grade(row["first_response"], str(row["gold"]), primary, timeout_s)  # type: ignore[arg-type]
            row["correct_first"] = first.correct
        if row.get("hint_responses"):  # every progressive-hint round, graded
            per_round = [
                grade(text, str(row["gold"]), primary, timeout_s)  # type: ignore[arg-type]
                for text in json.loads(row["hint_responses"])
            ]
            row["hint_extracted"] = json.dumps([g.extracted for g in per_round])
            row["hint_correct"] = json.dumps([g.correct for g in per_round])
    return out


def predictions_schema(graders: list[str]):
    import pyarrow as pa

    from skyray.records import Prediction

    extra = [
        pa.field("problem", pa.string()),
        pa.field("num_distractors", pa.int64()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("finish_reason", pa.string()),
        pa.field("hint_rounds", pa.int64()),
        pa.field("hint_answers", pa.string()),
        pa.field("first_response", pa.string()),
        pa.field("correct_first", pa.bool_()),
        pa.field("hint_responses", pa.string()),  # JSON list: the response of each PHP round
        pa.field("hint_extracted", pa.string()),  # JSON list: each round's answer (1st grader)
        pa.field("hint_correct", pa.string()),  # JSON list: each round's verdict (1st grader)
    ]
    for g in graders:
        extra += [pa.field(f"extracted_{g}", pa.string()), pa.field(f"correct_{g}", pa.bool_())]
    schema = Prediction.arrow_schema()
    for f in extra:
        schema = schema.append(f)
    return schema


def write_predictions(rows: list[dict[str, Any]], graders: list[str], folder: Path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_jsonl_atomic, write_parquet_atomic

    table = pa.Table.from_pylist(rows, schema=predictions_schema(graders))
    write_parquet_atomic(folder / PREDICTIONS, table)
    write_jsonl_atomic(folder / PREDICTIONS_JSONL, rows)


def write_report(report: dict[str, Any], folder: Path) -> None:
    from skyray.eval.report import render_markdown

    write_report_files(folder, report, render_markdown(report))


def evaluate(
    cfg: EvalConfig, items: list[EvalItem], address: str | None = None
) -> tuple[list[dict[str, Any]], Throughput]:
    """Generate for every item (and sample) and grade: the stage without its files."""
    from skyray.llm.generation import generate_all, make_generator

    requests = build_requests(items, cfg.generation.sampling.num_samples)
    logger.info("evaluating %d problems (%d requests)", len(items), len(requests))
    gen = make_generator(cfg.generation, address)
    traces = None
    try:
        results, stats = generate_all(gen, requests, cfg.chunk_size)
        if cfg.hints.max_rounds:
            from skyray.eval.hints import progressive_hints

            start = time.perf_counter()
            questions = [items[int(r.key.split(":", 1)[0])].problem.problem for r in requests]
            results, traces = progressive_hints(gen, questions, requests, results, cfg.hints)
            stats.seconds += time.perf_counter() - start
            stats.prompt_tokens = sum(r.prompt_tokens for r in results)
            stats.completion_tokens = sum(r.completion_tokens for r in results)
            logger.info("progressive hints: %d hint requests", sum(t.rounds for t in traces))
    finally:
        gen.close()
    rows = prediction_rows(items, requests, results, cfg.generation.model, traces)
    workers = cfg.grade_workers or min(os.cpu_count() or 1, 8)
    return grade_rows(rows, cfg.graders, cfg.grade_timeout_s, workers), stats


def _inputs(cfg: EvalConfig) -> list[str]:
    paths = [cfg.generation.model] if Path(cfg.generation.model).is_dir() else []
    paths += [b for b in cfg.benchmarks if is_jsonl_path(b)]
    if cfg.training_manifest:
        paths.append(cfg.training_manifest)
    return paths


def run_eval(
    cfg: EvalConfig,
    run_dir: str | Path,
    index: int = 5,
    model_path: str | Path | None = None,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The eval step: predictions, report and manifest under ``step-<index>-eval/`` (skipped
    when done with the same config and inputs, unless ``force``)."""
    from skyray.eval.contamination import check_contamination
    from skyray.eval.items import load_items
    from skyray.eval.report import build_report
    from skyray.runs import Step

    if model_path is not None:
        cfg = dataclasses.replace(
            cfg, generation=dataclasses.replace(cfg.generation, model=str(model_path))
        )
    require(bool(cfg.generation.model), "no model: pass --model PATH_OR_ID (generation.model)")
    step = Step(Path(run_dir), index, "eval")
    inputs = _inputs(cfg)
    if not force and step.is_done(cfg, inputs):
        logger.info("%s is done (same config and inputs); skipping", step.path)
        return step.path
    step.start(reset=True)
    items = load_items(cfg.benchmarks, cfg.data_dir, cfg.limit, cfg.distractors)
    contamination = None
    if cfg.training_manifest:  # before any generation or scoring
        contamination = check_contamination(
            cfg.training_manifest, items, cfg.contamination_ngram, cfg.contamination_min_tokens
        )
    rows, stats = evaluate(cfg, items, address)
    write_predictions(rows, cfg.graders, step.path)
    g = cfg.generation
    meta = {
        "model": g.model,
        "backend": g.backend,
        "prompt": "skyray.prompt.render_prompt (the SFT prompt, zero-shot CoT)",
        "sampling": dataclasses.asdict(g.sampling),
        "throughput": stats.as_dict(),
        "contamination": contamination,
    }
    report = build_report(rows, cfg.graders, meta, cfg.grade_timeout_s)
    write_report(report, step.path)
    step.finish(
        cfg,
        inputs,
        rows={"predictions": len(rows), "generation_errors": stats.errors},
        extra={
            "throughput": stats.as_dict(),
            "accuracy": {
                name: {gr: b["graders"][gr]["accuracy"] for gr in cfg.graders}
                for name, b in report["benchmarks"].items()
            },
        },
    )
    return step.path
