"""PNG plots of the scaling report (matplotlib, headless Agg backend).

- ``accuracy_vs_size.png``: one panel per benchmark; accuracy against data size (log scale) per
  curve with Wilson error bars, the fitted curves dashed, stage-2 results as stars at
  size + stage-2 rows.
- ``accuracy_by_level.png``: one panel per curve of a benchmark with levels (MATH); one line per
  difficulty level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skyray.sweep.results import benchmarks, curves, keys_of

SIZE_PLOT = "accuracy_vs_size.png"
LEVEL_PLOT = "accuracy_by_level.png"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def human(n: float) -> str:
    """7500 -> 7.5K, 2100000 -> 2.1M (tick labels)."""
    for div, unit in ((1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.0f}"


def _style(ax, grader: str, title: str) -> None:
    ax.set_xscale("log")
    sizes = sorted({float(x) for line in ax.get_lines() for x in line.get_xdata()})
    if sizes and len(sizes) <= 12:  # label the data sizes themselves, not powers of ten
        ax.set_xticks(sizes, [human(n) for n in sizes])
        ax.xaxis.set_minor_formatter("")
    ax.set_xlabel("SFT data size (samples, log scale)")
    ax.set_ylabel(f"accuracy (%), {grader} grader")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)


def _errorbar(ax, sizes, cells, **kwargs):
    accs = [100 * c["accuracy"] for c in cells]
    low = [a - 100 * c["ci95"][0] for a, c in zip(accs, cells, strict=True)]
    high = [100 * c["ci95"][1] - a for a, c in zip(accs, cells, strict=True)]
    return ax.errorbar(sizes, accs, yerr=[low, high], capsize=3, **kwargs)


def plot_sizes(data: dict[str, Any], path: Path) -> bool:
    import numpy as np

    from skyray.sweep.fit import Fit

    results, grader = data["results"], data["grader"]
    stage1, stage2 = curves(results, grader, 1), curves(results, grader, 2)
    benches = [b for b in benchmarks(results) if any(k[1] == b for k in stage1)]
    if not benches:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(benches), figsize=(6 * len(benches), 4.5), squeeze=False)
    for ax, bench in zip(axes[0], benches, strict=True):
        for (series, b), by_size in sorted(stage1.items()):
            if b != bench:
                continue
            sizes = list(by_size)
            line = _errorbar(ax, sizes, list(by_size.values()), marker="o", label=series)
            color = line[0].get_color()
            for f in data["fits"]:
                if f["series"] == series and f["benchmark"] == bench:
                    fit = Fit(f["form"], f["params"], f["r2"], f["rmse"], 0, f["target"], None)
                    xs = np.logspace(np.log10(min(sizes)), np.log10(max(sizes)), 50)
                    style = "--" if f["form"] == "log-linear" else ":"
                    ys = [100 * fit.predict(x) for x in xs]
                    ax.plot(xs, ys, style, color=color, alpha=0.7, label="_nolegend_")
            extra = stage2.get((series, bench))
            if extra:
                xs = [n + data["stage2_rows"] for n in extra]
                _errorbar(
                    ax,
                    xs,
                    list(extra.values()),
                    marker="*",
                    markersize=12,
                    linestyle="none",
                    color=color,
                    label=f"{series} + stage 2",
                )
        _style(ax, grader, f"{bench} (fits: dashed log-linear, dotted power law)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_levels(data: dict[str, Any], path: Path) -> bool:
    results, grader = data["results"], data["grader"]
    panels = []  # (benchmark, series, {level: {size: cell}})
    for bench in benchmarks(results):
        levels = keys_of(results, bench, grader, "by_level")
        per_level = {lv: curves(results, grader, 1, "by_level", lv) for lv in levels}
        for series in sorted({s for d in per_level.values() for (s, b) in d if b == bench}):
            lines = {lv: d[(series, bench)] for lv, d in per_level.items() if (series, bench) in d}
            panels.append((bench, series, lines))
    if not panels:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for ax, (bench, series, lines) in zip(axes[0], panels, strict=True):
        for level, by_size in lines.items():
            _errorbar(ax, list(by_size), list(by_size.values()), marker="o", label=f"Level {level}")
        _style(ax, grader, f"{series}: {bench} by level")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_plots(data: dict[str, Any], out: Path) -> list[str]:
    """The plots that have data; their file names (relative to ``out``)."""
    written = []
    for name, fn in ((SIZE_PLOT, plot_sizes), (LEVEL_PLOT, plot_levels)):
        path = out / name
        if fn(data, path):
            written.append(name)
        else:
            path.unlink(missing_ok=True)
    return written
