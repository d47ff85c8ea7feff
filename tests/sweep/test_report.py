"""The scaling report from a sweep folder alone: tables equal the trials' evaluation reports,
fits recover a known curve, trends are stated, stage 2 and verifier-vs-random appear, PNGs are
real images."""

from __future__ import annotations

import csv
import json
import math
import struct

import pytest

from skyray.sweep.report import write_scaling_report
from tests.sweep.fake_sweep import fake_sweep

SIZES = [10, 100, 1000, 10000]
OVERRIDES = [
    f"sizes={SIZES}",
    "models=[{name: tiny}, {name: wobbly}]",
    "selections=[random, verifier]",
    "stage2_sizes=[1000]",
    "report.targets={math-test: 0.5}",
]


def accuracy(params, stage):
    n = params["size"]
    if params["model"] == "tiny":  # 0.1 per decade: 10% at 10 ... 40% at 10,000
        math_acc = 0.1 * math.log10(n)
    else:  # falls from 10 to 100
        math_acc = {10: 0.3, 100: 0.2, 1000: 0.4, 10000: 0.45}[n]
    if params["selection"] == "verifier":
        math_acc += 0.05
    if stage == 2:
        math_acc += 0.1
    return {"math-test": round(math_acc, 2), "gsm8k-test": 0.5}


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    sweep = tmp_path_factory.mktemp("sweep")
    failed = ["wobbly-n10000-verifier-s42"]
    plans = fake_sweep(sweep, OVERRIDES, accuracy, failed=failed)
    path = write_scaling_report(sweep)
    return sweep, plans, path.read_text()


def read_csv(path):
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_tables_equal_the_trials_eval_reports(report):
    sweep, plans, _ = report
    rows = read_csv(sweep / "report" / "trials.csv")
    checked = 0
    for row in rows:
        if row["status"] != "done":
            continue
        step = 5 if row["stage"] == "1" else 7
        folder = sweep / "trials" / row["trial"] / f"step-{step}-eval"
        cell = json.loads((folder / "report.json").read_text())["benchmarks"][row["benchmark"]]
        cell = cell["graders"][row["grader"]]
        assert float(row["accuracy"]) == cell["accuracy"]
        assert (int(row["correct"]), int(row["n"])) == (cell["correct"], cell["n"])
        assert [float(row["ci_low"]), float(row["ci_high"])] == cell["ci95"]
        checked += 1
    assert checked == (len(plans) - 1 + 4) * 2 * 2  # trials (+ stage 2) x benchmarks x graders
    scaling = read_csv(sweep / "report" / "scaling.csv")
    tiny = {
        int(r["size"]): float(r["accuracy"])
        for r in scaling
        if r["series"] == "tiny selection=random"
        and r["benchmark"] == "math-test"
        and r["stage"] == "1"
    }
    assert tiny == {10: 0.1, 100: 0.2, 1000: 0.3, 10000: 0.4}


def test_markdown_has_the_paper_layouts(report):
    _, _, text = report
    assert "## math-test: accuracy (%) by data size (strict grader; Figure 5)" in text
    assert "| 1,000 | 30.00 [21.9, 39.6] |" in text  # tiny random at 1,000: 30/100 with Wilson
    assert "| tiny selection=random + stage 2 |" in text
    assert "## math-test: accuracy (%) per difficulty level (layout of Table 2)" in text
    assert "Level-1 | Level-2 | Level-3 | Level-4 | Level-5" in text
    assert "per subject (Table 12)" in text
    assert "## Verifier-selected vs random subsets" in text and "+5.00" in text
    assert "- wobbly-n10000-verifier-s42: OSError: tokenizer not found" in text
    assert "![accuracy_vs_size.png](accuracy_vs_size.png)" in text


def test_fit_recovers_the_curve_and_extrapolates(report):
    sweep, _, text = report
    fits = read_csv(sweep / "report" / "fits.csv")
    loglin = next(
        f
        for f in fits
        if f["series"] == "tiny selection=random"
        and f["benchmark"] == "math-test"
        and f["form"] == "log-linear"
    )
    params = json.loads(loglin["params"])
    assert params["b"] == pytest.approx(0.1) and params["a"] == pytest.approx(0.0, abs=1e-9)
    assert float(loglin["r2"]) == pytest.approx(1.0)
    assert float(loglin["size_at_target"]) == pytest.approx(1e5, rel=1e-6)  # 50% at 100,000
    assert any(f["form"] == "power-law" for f in fits)  # 4 sizes: the saturating fit too
    flat = next(f for f in fits if f["benchmark"] == "gsm8k-test" and f["form"] == "log-linear")
    assert flat["size_at_target"] == "" and "does not rise" in flat["note"]
    assert "## Fitted scaling curves" in text


def test_one_sentence_per_curve_on_monotonicity(report):
    _, _, text = report
    assert (
        "tiny selection=random, math-test: accuracy rose monotonically with data size "
        "(10.00% at 10 to 40.00% at 10,000 samples)." in text
    )
    assert (
        "wobbly selection=random, math-test: accuracy did not rise monotonically: it fell "
        "from 30.00% at 10 to 20.00% at 100" in text
    )
    assert "gsm8k-test: accuracy stayed flat at 50.00%: it did not rise." in text


def test_plots_are_real_pngs(report):
    sweep, _, _ = report
    for name in ("accuracy_vs_size.png", "accuracy_by_level.png"):
        path = sweep / "report" / name
        width, height = png_size(path)
        assert width >= 600 and height >= 400
        assert path.stat().st_size > 20_000  # lines, markers, labels: not an empty canvas


def test_pending_trials_and_an_empty_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    plans = fake_sweep(
        sweep, ["sizes=[10]", "models=[{name: m}]"], accuracy, pending=["m-n10-random-s42"]
    )
    text = write_scaling_report(sweep).read_text()
    assert "1 pending" in text and plans[0].name in text
    assert not (sweep / "report" / "accuracy_vs_size.png").exists()  # nothing to plot


def test_not_a_sweep_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a sweep folder"):
        write_scaling_report(tmp_path)


def test_force_discards_the_trials_and_the_experiment_but_keeps_the_subsets(tmp_path):
    from skyray.sweep.run import discard_trials

    sweep = tmp_path / "sweep"
    fake_sweep(sweep, ["sizes=[10]", "models=[{name: m}]"], accuracy)
    write_scaling_report(sweep)
    for folder in ("tune-abcd1234", "subsets/random-n10"):
        (sweep / folder).mkdir(parents=True)
    discard_trials(sweep, "tune-abcd1234")
    assert sorted(p.name for p in sweep.iterdir()) == ["subsets", "sweep.json"]
