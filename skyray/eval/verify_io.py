"""Files around verifier scoring: read rows, score (in-process or as a Ray Data stage), write
the scored rows, the verifier selection, the same-size random selection and a JSON report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from skyray.eval.verifier import VerifierConfig, select_by_verifier, verify_dataset, verify_rows

SCORED = "scored.parquet"
SELECTED = "selected-verifier.parquet"
RANDOM = "selected-random.parquet"
REPORT = "verify_report.json"


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a Parquet or JSONL file (clear errors for a missing or malformed file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"verifier input not found: {path}")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    from skyray.jsonl import iter_jsonl

    return [row for _, row in iter_jsonl(path)]


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa

    from skyray.atomic import write_parquet_atomic

    write_parquet_atomic(path, pa.Table.from_pylist(rows))


def score_with_ray(
    rows: list[dict[str, Any]], cfg: VerifierConfig, address: str | None = None
) -> list[dict[str, Any]]:
    import ray.data

    from skyray.cluster import init_ray

    init_ray(address)
    ds = verify_dataset(ray.data.from_items(rows), cfg)
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in ds.take_all()
    ]


def run_verify(
    cfg: VerifierConfig,
    input_path: str | Path,
    out_dir: str | Path,
    use_ray: bool = False,
    address: str | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    rows = read_rows(input_path)
    scored = score_with_ray(rows, cfg, address) if use_ray else verify_rows(rows, cfg)
    chosen, baseline, stats = select_by_verifier(scored, cfg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_rows(scored, out / SCORED)
    write_rows(chosen, out / SELECTED)
    write_rows(baseline, out / RANDOM)
    stats = {"input": str(input_path), "method": cfg.method, **stats}
    (out / REPORT).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
    publish_verify(out, stats, time.perf_counter() - started)
    return stats


def publish_verify(out: Path, stats: dict[str, Any], wall_s: float) -> None:
    """Ray metrics ``skyray_eval_verify_*`` from the report: rows in (scored or failed), rows
    out (selected), failures by reason, and the mean score of each selection."""
    from skyray.metrics import StageMetrics, publish_rows

    metrics = StageMetrics.for_step(out, "eval_verify")
    publish_rows(metrics, stats["rows"], stats["selected"], stats["failed_by_reason"], wall_s)
    metrics.count("scored_total", stats["scored"])
    for selection in ("verifier", "random"):
        mean = stats[selection]["mean_score"]
        metrics.gauge("mean_score", mean, selection=selection)
