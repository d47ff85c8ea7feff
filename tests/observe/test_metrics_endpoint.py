"""Every stage's Ray metrics as Prometheus sees them (scraped over HTTP from the head node's
metrics export port), with values equal to the step manifests and reports."""

import json

import pytest

from skyray.metrics import prometheus_name as pname
from skyray.runs import read_manifest

STEPS = {
    "seeds": "step-1-seeds",
    "synth": "step-2-synth",
    "curate": "step-3-curate",
    "sft": "step-4-sft",
    "eval": "step-5-eval",
}


def _labels(run, stage):
    return {"run": run.run_dir.name, "step": STEPS[stage], "stage": stage}


def _manifest(run, stage):
    return read_manifest(run.run_dir / STEPS[stage])


def _one(values: set[float]) -> float:
    """The value of a gauge every process that set it agrees on."""
    assert len(values) == 1, values
    return next(iter(values))


def _common(run, stage, rows_in, rows_out, drops):
    s, labels = run.scraper, _labels(run, stage)
    assert s.total(pname(stage, "rows_in_total"), **labels) == rows_in
    assert s.total(pname(stage, "rows_out_total"), **labels) == rows_out
    for reason, count in drops.items():
        assert s.total(pname(stage, "dropped_total"), reason=reason, **labels) == count, reason
    reported = s.label_values(pname(stage, "dropped_total"), "reason", **labels)
    assert set(reported) == {r for r, n in drops.items() if n}
    manifest = _manifest(run, stage)
    assert s.gauge(pname(stage, "wall_seconds"), **labels) == {manifest["duration_s"]}


def test_every_stage_reports_under_one_scheme(observed_run):
    names = {name for name, _ in observed_run.scraper.seen}
    for stage in (*STEPS, "eval_verify"):
        assert pname(stage, "rows_in_total") in names, stage
        assert pname(stage, "rows_out_total") in names, stage
    for name, labels in observed_run.scraper.seen:
        keys = dict(labels)
        assert name.startswith("ray_skyray_")
        assert {"run", "step", "stage"} <= set(keys), name
        assert name.startswith(f"ray_skyray_{keys['stage'].replace('-', '_')}_"), name


def test_seeds_metrics_equal_the_manifest(observed_run):
    m = _manifest(observed_run, "seeds")
    (source,) = m["sources"].values()
    drops = {
        "malformed": source["skipped_malformed"],
        "not-selected": source["loaded"] - source["kept"],
    }
    rows_in = source["loaded"] + source["skipped_malformed"]
    _common(observed_run, "seeds", rows_in, m["rows"]["seeds"], drops)


def test_synth_metrics_equal_the_manifest(observed_run):
    m, s = _manifest(observed_run, "synth"), observed_run.scraper
    labels = _labels(observed_run, "synth")
    _common(observed_run, "synth", m["num_seeds"], m["rows"]["samples"], m["drops"])
    usage = m["usage"]
    assert usage["requests"] > 0
    for what, key in [
        ("requests_total", "requests"),
        ("cached_total", "cached"),
        ("prompt_tokens_total", "prompt_tokens"),
        ("completion_tokens_total", "completion_tokens"),
        ("retries_total", "retries"),
        ("failures_total", "failed"),
    ]:
        assert s.total(pname("synth", what), **labels) == usage[key], what
    assert s.total(pname("synth", "cost_usd_total"), **labels) == pytest.approx(m["cost_usd"])
    # the teacher's requests were counted per phase while they happened
    assert set(s.label_values(pname("synth", "requests_total"), "phase", **labels)) <= set(
        m["phases"]
    )
    for operator, count in m["operators"].items():
        assert s.gauge(pname("synth", "samples_by_operator"), operator=operator, **labels) == {
            count
        }


def test_curate_metrics_equal_the_manifest_and_report(observed_run):
    m, s = _manifest(observed_run, "curate"), observed_run.scraper
    labels = _labels(observed_run, "curate")
    rows = m["rows"]
    _common(observed_run, "curate", rows["in"], rows["kept"], m["reasons"])
    kept_fraction = _one(s.gauge(pname("curate", "kept_fraction"), **labels))
    assert kept_fraction == pytest.approx(rows["kept"] / rows["in"])
    # the per-filter counters the Ray Data workers kept while they ran
    report = json.loads((observed_run.run_dir / STEPS["curate"] / "report.json").read_text())
    flow = pname("curate", "filter_rows_total")
    assert s.total(flow, filter="input", outcome="in", **labels) == rows["in"]
    assert s.total(flow, filter="output", outcome="kept", **labels) == rows["kept"]
    for name, counts in report["stages"].items():
        assert s.total(flow, filter=name, outcome="dropped", **labels) == counts["dropped"], name


def test_sft_metrics_equal_the_manifest(observed_run):
    m, s = _manifest(observed_run, "sft"), observed_run.scraper
    labels = _labels(observed_run, "sft")
    rows = dict(m["rows"])
    kept = rows.pop("kept")
    _common(observed_run, "sft", kept + sum(rows.values()), kept, rows)
    final = m["final_metrics"]
    # the worker's live gauge and the driver's final one both show the last step's values
    assert _one(s.gauge(pname("sft", "loss"), **labels)) == pytest.approx(final["loss"])
    tokens_per_s = _one(s.gauge(pname("sft", "tokens_per_s"), **labels))
    assert tokens_per_s == pytest.approx(final["tokens_per_s"])
    assert s.gauge(pname("sft", "step"), **labels) == {final["step"]}
    records = (observed_run.run_dir / STEPS["sft"] / "metrics.jsonl").read_text().splitlines()
    assert any(json.loads(r).get("loss") == final["loss"] for r in records)


def test_eval_metrics_equal_the_manifest(observed_run):
    m, s = _manifest(observed_run, "eval"), observed_run.scraper
    labels = _labels(observed_run, "eval")
    n = m["rows"]["predictions"]
    _common(observed_run, "eval", n, n, {})
    assert (
        s.total(pname("eval", "generation_errors_total"), **labels)
        == m["rows"]["generation_errors"]
    )
    throughput = m["throughput"]
    assert (
        s.total(pname("eval", "completion_tokens_total"), **labels)
        == throughput["completion_tokens"]
    )
    assert s.total(pname("eval", "prompt_tokens_total"), **labels) == throughput["prompt_tokens"]
    assert m["accuracy"]
    for bench, by_grader in m["accuracy"].items():
        for grader, value in by_grader.items():
            got = _one(s.gauge(pname("eval", "accuracy"), benchmark=bench, grader=grader, **labels))
            assert got == pytest.approx(value), (bench, grader)


def test_eval_verify_metrics_equal_the_report(observed_run):
    report = json.loads((observed_run.verify_dir / "verify_report.json").read_text())
    s = observed_run.scraper
    labels = {"run": "run", "step": "verify", "stage": "eval_verify"}
    assert s.total(pname("eval_verify", "rows_in_total"), **labels) == report["rows"] > 0
    assert s.total(pname("eval_verify", "rows_out_total"), **labels) == report["selected"]
    assert s.total(pname("eval_verify", "scored_total"), **labels) == report["scored"]
    for reason, count in report["failed_by_reason"].items():
        assert s.total(pname("eval_verify", "dropped_total"), reason=reason, **labels) == count
    for selection in ("verifier", "random"):
        mean = report[selection]["mean_score"]
        if mean is not None:
            got = _one(s.gauge(pname("eval_verify", "mean_score"), selection=selection, **labels))
            assert got == pytest.approx(mean)


def test_grafana_dashboard_queries_the_exported_metrics(observed_run):
    import re
    from pathlib import Path

    import skyray

    path = Path(skyray.__file__).parent / "dashboards" / "skyray-grafana.json"
    dashboard = json.loads(path.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and all("$run" in e for e in exprs)
    exported = {name for name, _ in observed_run.scraper.seen}
    # zero in this run (no retries, failures, cost, cache hits, errors; MFU is GPU-only)
    zero_here = {
        pname("synth", w)
        for w in ("retries_total", "failures_total", "cost_usd_total", "cached_total")
    } | {pname("eval", "generation_errors_total"), pname("sft", "mfu")}
    # stages this run does not include (their readers are unit-tested in test_units.py)
    zero_here |= {n for n in re.findall(r"\bray_skyray_selfcompare_\w+", " ".join(exprs))}
    named = set(re.findall(r"\bray_skyray_\w+", " ".join(exprs)))
    assert named - exported <= zero_here, named - exported - zero_here
    for pattern in re.findall(r'__name__=~"(ray_skyray_[^"]+)"', " ".join(exprs)):
        assert any(re.fullmatch(pattern, name) for name in exported), pattern
