"""The curation stage end to end: plan -> pass 1 (annotate) -> pass 2 (dedup) -> pass 3 (split)
-> ``report.json``.

Output folder::

    kept/part-*.parquet      rows that passed every stage, input columns unchanged
    dropped/part-*.parquet   id, drop_reason, drop_detail, then the input columns
    report.json              counts per reason / benchmark / stage, timings, parameters

On a URI storage root (``out_dir`` a staged step folder, see :mod:`skyray.storage`) the actors
and tasks of every node read the inputs and write ``_work/``, ``kept/`` and ``dropped/`` on the
storage itself; only ``report.json`` (and the step's manifest) are written by the driver.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from skyray.config import to_dict
from skyray.curate.config import CurateConfig
from skyray.curate.metrics import STAGES, stage_of
from skyray.curate.minhash import candidate_probability, s_curve_threshold

logger = logging.getLogger(__name__)
REPORT = "report.json"
WORK = "_work"


def build_index(cfg: CurateConfig):
    """The decontamination index over the configured benchmarks (None when disabled)."""
    from skyray.curate.decontam import benchmark_texts, build_index

    if not cfg.decontam.enabled:
        return None
    texts = benchmark_texts(cfg.decontam.benchmarks, cfg.decontam.data_dir or None)
    return build_index(texts, cfg.decontam.ngram, cfg.decontam.min_tokens)


def s_curve(cfg: CurateConfig) -> list[dict[str, float]]:
    nd = cfg.near_dedup
    points = [0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    return [
        {
            "jaccard": j,
            "p_candidate": round(float(candidate_probability(j, nd.bands, nd.rows_per_band)), 6),
        }
        for j in points
    ]


def _stage_counts(total: int, reasons: Counter) -> dict[str, dict[str, int]]:
    by_stage: Counter[str] = Counter()
    for reason, count in reasons.items():
        by_stage[stage_of(reason)] += count
    out, rows = {}, total
    for stage in STAGES:
        out[stage] = {"in": rows, "dropped": by_stage[stage], "out": rows - by_stage[stage]}
        rows -= by_stage[stage]
    return out


def curate(
    cfg: CurateConfig,
    inputs: list[str | Path],
    out_dir: str | Path,
    address: str | None = None,
    keep_work: bool = False,
) -> dict[str, Any]:
    """Curate ``inputs`` into ``out_dir`` (its previous kept/dropped/report are replaced)."""
    from skyray.atomic import write_json_atomic
    from skyray.curate.engines import make_engine
    from skyray.curate.files import join, remove
    from skyray.curate.reader import plan_inputs
    from skyray.storage import remote_of

    out = Path(out_dir)
    check_out_dir(out)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    t0 = time.perf_counter()  # inputs are checked before the previous outputs are removed
    plan = plan_inputs(inputs, max(1, int(cfg.chunk_mb * 2**20)), exclude=out)
    timings["plan"] = time.perf_counter() - t0

    out.mkdir(parents=True, exist_ok=True)
    target = remote_of(out.absolute())  # where the workers write: the storage itself on a URI
    for name in ("kept", "dropped", WORK, REPORT):
        remove(str(out / name))
        remove(join(target, name))
    work = join(target, WORK)
    chunks = [_on_storage(c) for c in plan.chunks]  # staged inputs: read where they came from

    t0 = time.perf_counter()
    index = build_index(cfg)
    timings["decontam_index"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine = make_engine(cfg, address)
    if engine.name == "ray":  # workers on other nodes must see _work/ and the outputs
        from skyray.placement import check_shared_folder, check_visible

        check_shared_folder(target, cfg.worker_resources, "curate")  # URIs: every node
        check_visible(sorted({c.path for c in chunks}), cfg.worker_resources, "curate input")
    timings["engine_start"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    pass1 = engine.annotate(chunks, cfg, index, work)
    timings["pass1_annotate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    decisions, near_stats = engine.dedup(cfg, _all_feature_files(work, len(plan.chunks)))
    timings["pass2_dedup"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pass3 = engine.split(chunks, decisions, work, target)
    timings["pass3_split"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started
    if not keep_work:
        remove(work)

    total = sum(s["rows"] for s in pass1)
    reasons: Counter[str] = Counter()
    for s in pass3:
        reasons.update(s["reasons"])
    benchmarks: Counter[str] = Counter()
    worker_time: Counter[str] = Counter()
    for s in pass1:
        benchmarks.update(s["benchmarks"])
        worker_time.update(s["timings"])
    kept = sum(s["kept"] for s in pass3)
    report = {
        "engine": engine.name,
        "inputs": plan.files,
        "empty_inputs": plan.empty_files,
        "skipped_inputs": plan.skipped_files,  # in input folders, not a supported type
        "chunks": len(plan.chunks),
        "rows": {"in": total, "kept": kept, "dropped": total - kept},
        "reasons": dict(sorted(reasons.items())),
        "stages": _stage_counts(total, reasons),
        "benchmarks": {b: benchmarks.get(b, 0) for b in cfg.decontam.benchmarks}
        if cfg.decontam.enabled
        else {},
        "near_dedup": {
            **near_stats,
            "s_curve_threshold": round(
                s_curve_threshold(cfg.near_dedup.bands, cfg.near_dedup.rows_per_band), 4
            ),
            "s_curve": s_curve(cfg),
        },
        "decontam_index": index.summary() if index is not None else None,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "worker_timings_s": {k: round(v, 3) for k, v in sorted(worker_time.items())},
        "rows_per_s": round(total / timings["total"], 1) if timings["total"] else None,
        "config": to_dict(cfg),
    }
    write_json_atomic(out / REPORT, report)
    logger.info("curate: %d rows in, %d kept, %d dropped -> %s", total, kept, total - kept, out)
    return report


def _on_storage(chunk):
    """A chunk of a staged input file, pointed at the storage it was staged from, so workers on
    any node read it; other chunks unchanged."""
    from skyray.storage import is_uri, remote_of

    uri = remote_of(Path(chunk.path).absolute())
    return dataclasses.replace(chunk, path=uri) if is_uri(uri) else chunk


def _all_feature_files(work: Path, num_chunks: int) -> list[str]:
    """Pass 1's feature files, one per chunk; a missing one (written on a node whose disk the
    driver does not see) stops the run instead of leaving its rows out of deduplication."""
    from skyray.curate.dedup import feature_files

    files = feature_files(work)
    if len(files) != num_chunks:
        raise ValueError(
            f"curate: {num_chunks - len(files)} of {num_chunks} feature files of pass 1 are not "
            f"visible under {work} (written on another node's local disk?): put --out on storage "
            "every node sees"
        )
    return files


def run_curate(
    cfg: CurateConfig,
    run_dir: str | Path,
    index: int,
    inputs: list[str | Path],
    address: str | None = None,
    force: bool = False,
) -> Path:
    """The curation step of a run: ``runs/<run>/step-<index>-curate/`` (skipped when done,
    unless ``force``)."""
    from skyray.runs import Step

    return _run_step(Step(Path(run_dir), index, "curate"), cfg, inputs, address, force)


def curate_folder(
    cfg: CurateConfig,
    inputs: list[str | Path],
    out_dir: str | Path,
    address: str | None = None,
    force: bool = False,
) -> Path:
    """Like :func:`run_curate` for any folder (``skyray curate --out DIR``)."""
    from skyray.runs import FolderStep

    return _run_step(FolderStep(Path(out_dir), "curate"), cfg, inputs, address, force)


def check_out_dir(out: Path) -> None:
    """``--out`` must be a folder (or not exist yet), under folders."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is an existing file; give a folder for the curated output")
    blocking = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"--out {out}: {blocking} is a file, not a folder")


def fingerprint_inputs(inputs: list[str | Path], out: Path) -> list[str | Path]:
    """What the step's fingerprint hashes: the inputs, except that a folder holding ``out``
    stands for its files outside ``out`` (the step's own outputs never change its identity)."""
    from skyray.curate.reader import expand_inputs

    resolved = out.resolve()
    fp: list[str | Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir() and resolved.is_relative_to(path.resolve()):
            fp.extend(expand_inputs([path], exclude=out))
        else:
            fp.append(item)
    return fp


def _run_step(
    step, cfg: CurateConfig, inputs: list[str | Path], address: str | None, force: bool = False
) -> Path:
    from skyray.curate.reader import expand_inputs

    check_out_dir(step.path)
    expand_inputs(inputs, exclude=step.path)  # bad inputs fail before the step is touched
    fp_inputs = fingerprint_inputs(inputs, step.path)
    if not force and step.is_done(cfg, fp_inputs):
        logger.info("curate: %s is up to date (same config and inputs); skipping", step.path)
        return step.path
    if cfg.engine == "ray":
        from skyray.cluster import check_reachable

        check_reachable(address)  # one line now, not after minutes of GCS retries
    step.start(reset=False)
    report = curate(cfg, inputs, step.path, address)
    step.finish(
        cfg, fp_inputs, rows=report["rows"], extra={"report": REPORT, "reasons": report["reasons"]}
    )
    return step.path
