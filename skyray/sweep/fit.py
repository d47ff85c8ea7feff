"""Scaling-curve fits: accuracy against data size N.

- ``log-linear``: ``acc = a + b * log10(N)`` (least squares; 2+ sizes).
- ``power-law``: the saturating ``acc = c - a * N^(-alpha)`` fitted with
  ``scipy.optimize.curve_fit`` (0 <= c <= 1, a >= 0, 0 < alpha <= 2; 4+ sizes, so one degree of
  freedom is left).

Each fit reports its parameters, R^2 and RMSE over the points, and the data size at which the
curve reaches a target accuracy (``None`` with a reason when it never does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MIN_POINTS = {"log-linear": 2, "power-law": 4}


@dataclass
class Fit:
    form: str  # "log-linear" or "power-law"
    params: dict[str, float]
    r2: float | None  # None when the points have no variance
    rmse: float
    num_points: int
    target: float
    size_at_target: float | None  # extrapolated data size reaching ``target``
    note: str = ""  # why size_at_target is None
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, n: float) -> float:
        p = self.params
        if self.form == "log-linear":
            return p["a"] + p["b"] * math.log10(n)
        return p["c"] - p["a"] * n ** (-p["alpha"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "params": self.params,
            "r2": self.r2,
            "rmse": self.rmse,
            "num_points": self.num_points,
            "target": self.target,
            "size_at_target": self.size_at_target,
            "note": self.note,
        }


def _goodness(fit_fn, xs: list[float], ys: list[float]) -> tuple[float | None, float]:
    pred = [fit_fn(x) for x in xs]
    mean = sum(ys) / len(ys)
    ss_res = sum((y - p) ** 2 for y, p in zip(ys, pred, strict=True))
    ss_tot = sum((y - mean) ** 2 for y in ys)
    return (1 - ss_res / ss_tot if ss_tot > 0 else None), math.sqrt(ss_res / len(ys))


def fit_log_linear(sizes: list[float], accs: list[float], target: float) -> Fit:
    import numpy as np

    b, a = np.polyfit(np.log10(sizes), accs, 1)
    fit = Fit("log-linear", {"a": float(a), "b": float(b)}, None, 0.0, len(sizes), target, None)
    fit.r2, fit.rmse = _goodness(fit.predict, sizes, accs)
    if fit.params["b"] > 1e-12:
        fit.size_at_target = float(10 ** ((target - a) / b))
    else:
        fit.note = "accuracy does not rise with data size (slope <= 0)"
    return fit


def fit_power_law(sizes: list[float], accs: list[float], target: float) -> Fit | None:
    """None when the fit does not converge."""
    import numpy as np
    from scipy.optimize import curve_fit

    def model(n, c, a, alpha):
        return c - a * np.power(n, -alpha)

    x, y = np.asarray(sizes, float), np.asarray(accs, float)
    start = (min(1.0, float(y.max()) + 0.05), max(1e-6, float(y.max() - y.min()) + 0.1), 0.3)
    try:
        (c, a, alpha), _ = curve_fit(
            model, x, y, p0=start, bounds=([0, 0, 1e-6], [1, np.inf, 2]), maxfev=20000
        )
    except (RuntimeError, ValueError):
        return None
    params = {"c": float(c), "a": float(a), "alpha": float(alpha)}
    fit = Fit("power-law", params, None, 0.0, len(sizes), target, None)
    fit.r2, fit.rmse = _goodness(fit.predict, sizes, accs)
    if target >= c:
        fit.note = f"target is at or above the fitted ceiling c = {c:.3f}"
    elif a <= 0:
        fit.note = "flat curve (a = 0)"
    else:
        fit.size_at_target = float((a / (c - target)) ** (1 / alpha))
    return fit


def fit_curves(sizes: list[float], accs: list[float], target: float) -> list[Fit]:
    """Every form that has enough points."""
    fits: list[Fit] = []
    if len(sizes) >= MIN_POINTS["log-linear"]:
        fits.append(fit_log_linear(sizes, accs, target))
    if len(sizes) >= MIN_POINTS["power-law"]:
        power = fit_power_law(sizes, accs, target)
        if power is not None:
            fits.append(power)
    return fits


def trend_sentence(label: str, bench: str, points: list[tuple[int, float]]) -> str:
    """Plain words on whether accuracy rose monotonically with data size."""
    if len(points) < 2:
        return f"{label}, {bench}: only one data size finished, so there is no trend yet."
    pts = sorted(points)
    first, last = pts[0], pts[-1]
    span = f"{100 * first[1]:.2f}% at {first[0]:,} to {100 * last[1]:.2f}% at {last[0]:,} samples"
    diffs = [b[1] - a[1] for a, b in zip(pts, pts[1:], strict=False)]
    if all(d > 0 for d in diffs):
        return f"{label}, {bench}: accuracy rose monotonically with data size ({span})."
    if all(d == 0 for d in diffs):
        return f"{label}, {bench}: accuracy stayed flat at {100 * first[1]:.2f}%: it did not rise."
    falls = [
        f"{100 * a[1]:.2f}% at {a[0]:,} to {100 * b[1]:.2f}% at {b[0]:,}"
        for a, b in zip(pts, pts[1:], strict=False)
        if b[1] < a[1]
    ]
    if not falls:
        return (
            f"{label}, {bench}: accuracy never fell but did not rise at every step "
            f"(flat somewhere; {span})."
        )
    return (
        f"{label}, {bench}: accuracy did not rise monotonically: it fell from "
        + "; ".join(falls)
        + f" ({span})."
    )
