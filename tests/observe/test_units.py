"""The console and metrics helpers without a cluster: escape stripping, progress lines, the
summary table, metric names, the no-op outside Ray, and step summaries from manifests."""

import io
import json
import logging
import re

import pytest

from skyray.console import PlainStream, Ticker, format_duration, summary_table
from skyray.metrics import StageMetrics, metric_name, prometheus_name, publish_rows
from skyray.summary import stage_of, summarize


def test_plain_stream_strips_escapes_and_keeps_the_last_redraw():
    raw = io.StringIO()
    out = PlainStream(raw)
    out.write("\x1b[36m(MapWorker pid=1)\x1b[0m hello\n")
    out.write("\rbar 10%\rbar 50%")
    out.write("\rbar 100%\n\x1b[1m\x1b[32mhttp://127.0.0.1:8265 \x1b[39m\x1b[22m\n")
    out.write("\x1b[A\x1b[2Kdone\n")
    out.flush()
    assert raw.getvalue() == "(MapWorker pid=1) hello\nbar 100%\nhttp://127.0.0.1:8265 \ndone\n"
    assert not out.isatty()


def test_ticker_lines_have_rate_and_eta(caplog):
    ticker = Ticker("eval", total=100, unit="rows", interval_s=3600, log=logging.getLogger("t"))
    ticker.started -= 10  # ten seconds ago, so the rate is 2.5 rows/s
    with caplog.at_level(logging.INFO, logger="t"):
        ticker.update(5)  # within the interval: silent
        ticker.update(25, force=True, note="loss 1.0")
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("eval: 25/100 rows (25%), 2.5 rows/s, ETA 30s; loss 1.0")
    assert Ticker("x", interval_s=1).line().startswith("x: 0 rows, 0.0 rows/s")
    assert [format_duration(s) for s in (3.25, 42, 125, 7300)] == ["3.2s", "42s", "2m05s", "2h01m"]


def test_summary_table_is_aligned_plain_text():
    table = summary_table(
        [
            {"step": "step-1-seeds", "status": "ran", "rows_in": 7500, "rows_out": 60,
             "wall_s": 1.5, "headline": "60 seeds from 1 source(s)"},
            {"step": "step-3-curate", "status": "skipped", "rows_in": 24, "rows_out": 10,
             "wall_s": 25, "headline": "kept 41.7%", "report": "runs/x/step-3-curate/report.json"},
            {"step": "step-4-sft", "status": "failed"},
        ]
    )  # fmt: skip
    lines = table.splitlines()
    assert lines[0].split() == [
        "step",
        "status",
        "rows",
        "in",
        "rows",
        "out",
        "wall",
        "headline",
        "report",
    ]
    assert lines[2].split()[:5] == ["step-1-seeds", "ran", "7500", "60", "1.5s"]
    assert re.search(r"kept 41\.7% +runs/x/step-3-curate/report\.json$", lines[3])
    assert lines[4].split() == ["step-4-sft", "failed", "-", "-", "-", "-", "-"]
    assert lines[0].index("status") == lines[2].index("ran") == lines[3].index("skipped")
    assert lines[0].index("headline") == lines[3].index("kept")


def test_metric_names_and_the_no_op_outside_ray():
    assert metric_name("eval-verify", "rows_in_total") == "skyray_eval_verify_rows_in_total"
    assert prometheus_name("sft", "loss") == "ray_skyray_sft_loss"
    metrics = StageMetrics.for_step("/runs/demo/step-3-curate", "curate")
    assert metrics.labels == {"run": "demo", "step": "step-3-curate", "stage": "curate"}
    assert StageMetrics(**metrics.labels).labels == metrics.labels  # shipped to a Ray actor
    # without a Ray connection every call is a no-op (local engines, unit tests)
    publish_rows(metrics, rows_in=3, rows_out=2, drops={"dedup:near": 1}, wall_s=1.0)
    metrics.gauge("kept_fraction", 0.5)


def test_a_metric_keeps_its_label_keys():
    metrics = StageMetrics("unit", run="r", step="step-0-unit")
    metrics.count("things_total", 2, reason="a")
    with pytest.raises(ValueError, match="labels"):
        metrics.count("things_total", 1)


def _write(step_dir, manifest):
    step_dir.mkdir(parents=True)
    (step_dir / "manifest.json").write_text(json.dumps(manifest))


def test_step_summaries_from_manifests(tmp_path):
    assert stage_of(tmp_path / "step-6-sft") == "sft"
    _write(
        tmp_path / "step-1-seeds",
        {"rows": {"seeds": 60}, "duration_s": 1.0,
         "sources": {"math-train": {"loaded": 7498, "skipped_malformed": 2, "kept": 60}}},
    )  # fmt: skip
    seeds = summarize(tmp_path / "step-1-seeds")
    assert (seeds.rows_in, seeds.rows_out) == (7500, 60)
    assert seeds.drops == {"malformed": 2, "not-selected": 7438}
    _write(
        tmp_path / "step-3-curate",
        {"rows": {"in": 24, "kept": 10, "dropped": 14}, "reasons": {"dedup:near": 13, "dedup:exact": 1}},
    )  # fmt: skip
    curate = summarize(tmp_path / "step-3-curate")
    assert curate.headline == "kept 41.7%" and curate.gauges["kept_fraction"] == 10 / 24
    _write(
        tmp_path / "step-4-sft",
        {"rows": {"kept": 8, "overlong": 2}, "final_metrics": {"loss": 5.5, "step": 6, "mfu": None}},
    )  # fmt: skip
    sft = summarize(tmp_path / "step-4-sft")
    assert (sft.rows_in, sft.rows_out, sft.drops) == (10, 8, {"overlong": 2})
    assert sft.headline == "final loss 5.5000" and "mfu" not in sft.gauges
    _write(
        tmp_path / "step-5-eval",
        {"rows": {"predictions": 40, "generation_errors": 1},
         "accuracy": {"gsm8k-test": {"strict": 0.25, "equiv": 0.3}}},
    )  # fmt: skip
    ev = summarize(tmp_path / "step-5-eval")
    assert ev.headline == "gsm8k-test 25.0%"
    assert ("accuracy", 0.3, {"benchmark": "gsm8k-test", "grader": "equiv"}) in ev.labelled
    _write(tmp_path / "step-8-sweep", {"rows": {"in": 5, "out": 3}})  # a stage without a reader
    assert (
        summarize(tmp_path / "step-8-sweep").rows_in,
        summarize(tmp_path / "step-8-sweep").rows_out,
    ) == (5, 3)


def test_selfcompare_summary(tmp_path):
    _write(
        tmp_path / "step-8-selfcompare",
        {"rows": {"problems": 8, "samples": 5}, "rounds": [{}, {}],
         "totals": {"drops": {"student:right": 3}, "cost_usd": 0.5,
                    "teacher_tokens": {"prompt": 100, "completion": 40}}},
    )  # fmt: skip
    s = summarize(tmp_path / "step-8-selfcompare")
    assert (s.rows_in, s.rows_out, s.drops) == (8, 5, {"student:right": 3})
    assert s.counters["completion_tokens_total"] == 40 and s.gauges["rounds"] == 2
    assert s.headline == "5 samples from 8 problems, 2 round(s)"


def test_a_step_finished_before_ray_is_reported_later(tmp_path, monkeypatch):
    import skyray.metrics as metrics

    published = []
    monkeypatch.setattr(metrics, "_pending", [])
    monkeypatch.setattr(metrics, "_publish", lambda *args: published.append(args))
    monkeypatch.setattr(metrics, "ray_connected", lambda: False)
    metrics.publish_step(tmp_path / "step-1-seeds", {"rows": {"seeds": 3}}, "seeds")
    assert published == [] and len(metrics._pending) == 1
    monkeypatch.setattr(metrics, "ray_connected", lambda: True)
    metrics.publish_step(tmp_path / "step-2-synth", {"rows": {"samples": 5}}, "synth")
    assert [args[2] for args in published] == ["seeds", "synth"] and metrics._pending == []
