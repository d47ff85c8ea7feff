"""SkyRay's Ray metrics: one naming scheme and one label set for every stage.

Every stage (seeds, synth, curate, sft, eval, verify, and later ones such as selfcompare and
sweep) reports through :class:`StageMetrics`, so the Ray dashboard, Prometheus and the shipped
Grafana dashboard (``skyray/dashboards/skyray-grafana.json``) read them the same way.

Names
    ``skyray_<stage>_<what>``; counters end in ``_total`` (``skyray_synth_requests_total``),
    gauges do not (``skyray_sft_loss``). Ray's Prometheus endpoint prefixes them with ``ray_``:
    ``ray_skyray_synth_requests_total``. ``<stage>`` uses underscores (``eval_verify``).
Labels
    ``run`` (the run folder's name), ``step`` (the step folder's name, ``step-3-curate``),
    ``stage`` (the stage name), plus what a metric declares: ``reason`` on drops, and e.g.
    ``phase`` (synth), ``benchmark``/``grader`` (eval).
Every step reports, from the driver, after it wrote its manifest (values equal the manifest)
    ``rows_in_total``, ``rows_out_total``, ``dropped_total{reason}``, ``wall_seconds``, plus its
    headline numbers: ``skyray.runs.Step.finish`` calls :func:`publish_step`, which reads the
    manifest through :func:`skyray.summary.summarize`. A new stage (selfcompare, sweep) that
    finishes its step with ``Step.finish(rows={"in": N, "out": M}, extra={"drops": {...}})`` gets
    these for free; its headline gauges go in a reader in ``skyray.summary.READERS``, and live
    figures (per trial, per request) through :class:`StageMetrics` directly.

Usage::

    from skyray.metrics import StageMetrics

    m = StageMetrics.for_step(step.path, "curate")      # labels run/step/stage from the folder
    m.count("rows_in_total", 120)                       # Counter, +120
    m.count("dropped_total", 3, reason="dedup:near")    # extra labels become tag keys
    m.gauge("kept_fraction", 0.8)                       # Gauge, held (see below)
    publish_rows(m, rows_in=120, rows_out=100, drops={"dedup:near": 20}, wall_s=12.5)
    m.labels                                             # plain dict: ship it to Ray actors and
    StageMetrics(**labels)                               # rebuild there

Every call is a no-op in a process that is not connected to Ray (local engines, unit tests), and
importing this module imports nothing heavy. A metric name always has the same label keys
(Ray requires it); a call with other keys raises ``ValueError``.

Held gauges: Ray's metrics agent forgets a gauge series that was not re-reported for two export
intervals (``metrics_report_interval_ms``, 10 s by default), so a value set once at the end of a
step would vanish from the endpoint after ~20 s. Gauges set through :meth:`StageMetrics.gauge`
are re-set by one daemon thread while the process lives, so a step's final loss or accuracy
stays on the dashboard as long as its driver runs; pass ``hold=False`` for values that are
updated continuously anyway.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

BASE_LABELS = ("run", "step", "stage")
_instruments: dict[str, tuple[Any, tuple[str, ...]]] = {}
_label_keys: dict[str, tuple[str, ...]] = {}  # name -> label keys, checked with or without Ray
_held: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
_lock = threading.Lock()
_refresher: threading.Thread | None = None
_session: list[int] = [0]  # the Ray connection the cached instruments belong to
_pending: list[tuple[Path, dict[str, Any] | None, str | None]] = []  # finished before Ray
MAX_PENDING = 100


def ray_connected() -> bool:
    """True when this process is a Ray driver or worker (Ray not imported: not connected)."""
    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def metric_name(stage: str, what: str) -> str:
    """``skyray_<stage>_<what>`` with the stage's dashes as underscores."""
    return f"skyray_{stage.replace('-', '_')}_{what}"


def prometheus_name(stage: str, what: str) -> str:
    """The name Ray's Prometheus endpoint shows (``ray_`` prefix)."""
    return "ray_" + metric_name(stage, what)


class StageMetrics:
    """Metrics of one step of one run; see the module docstring for names and labels."""

    def __init__(self, stage: str, run: str = "", step: str = "") -> None:
        self.stage = stage
        self.labels = {"run": run, "step": step, "stage": stage}

    @classmethod
    def for_step(cls, step_dir: str | Path, stage: str) -> StageMetrics:
        """Labels from a step folder ``runs/<run>/step-N-<name>``."""
        path = Path(step_dir).resolve()
        return cls(stage, run=path.parent.name, step=path.name)

    def count(self, what: str, value: float, **labels: Any) -> None:
        """Add ``value`` (> 0; zero and negatives are skipped) to counter ``skyray_<stage>_<what>``."""
        name = metric_name(self.stage, what)
        _check_keys(name, labels)
        if value is None or value <= 0 or not ray_connected():
            return
        counter = _instrument("counter", name, labels)
        counter.inc(float(value), tags=self._tags(labels))

    def gauge(self, what: str, value: float | None, hold: bool = True, **labels: Any) -> None:
        """Set gauge ``skyray_<stage>_<what>`` (``None`` is skipped)."""
        name = metric_name(self.stage, what)
        _check_keys(name, labels)
        if value is None or not ray_connected():
            return
        tags = self._tags(labels)
        _instrument("gauge", name, labels).set(float(value), tags=tags)
        if hold:
            with _lock:
                _held[(name, tuple(sorted(tags.items())))] = float(value)
            _start_refresher()

    def _tags(self, labels: dict[str, Any]) -> dict[str, str]:
        return {**self.labels, **{k: str(v) for k, v in labels.items()}}


def publish_rows(
    metrics: StageMetrics,
    rows_in: int | None = None,
    rows_out: int | None = None,
    drops: dict[str, int] | None = None,
    wall_s: float | None = None,
) -> None:
    """The figures every step reports at its end: rows in/out, drops by reason, wall time."""
    metrics.count("rows_in_total", rows_in or 0)
    metrics.count("rows_out_total", rows_out or 0)
    for reason, value in sorted((drops or {}).items()):
        metrics.count("dropped_total", value, reason=reason)
    metrics.gauge("wall_seconds", wall_s)


def publish_step(
    step_dir: str | Path, manifest: dict[str, Any] | None = None, stage: str | None = None
) -> None:
    """Report a finished step's figures (:func:`skyray.summary.summarize` of its manifest):
    rows, drops, wall time, and the stage's totals and headline gauges. ``Step.finish`` calls it.

    A step that finishes before its driver joins Ray (the seeds step runs before any Ray stage)
    is kept and reported with the next step that finishes connected."""
    if not ray_connected():
        if len(_pending) < MAX_PENDING:
            _pending.append((Path(step_dir), manifest, stage))
        return
    while _pending:
        _publish(*_pending.pop(0))
    _publish(Path(step_dir), manifest, stage)


def _publish(step_dir: Path, manifest: dict[str, Any] | None, stage: str | None) -> None:
    from skyray.summary import summarize

    summary = summarize(step_dir, manifest, stage)
    metrics = StageMetrics.for_step(step_dir, summary.stage)
    publish_rows(metrics, summary.rows_in, summary.rows_out, summary.drops, summary.wall_s)
    for what, value in summary.counters.items():
        metrics.count(what, value)
    for what, value in summary.gauges.items():
        metrics.gauge(what, value)
    for what, value, labels in summary.labelled:
        metrics.gauge(what, value, **labels)


def _check_keys(name: str, labels: dict[str, Any]) -> None:
    keys = BASE_LABELS + tuple(sorted(labels))
    known = _label_keys.setdefault(name, keys)
    if known != keys:
        raise ValueError(f"metric {name} has labels {known}, not {keys}")


def _instrument(kind: str, name: str, labels: dict[str, Any]):
    from ray.util.metrics import Counter, Gauge

    keys = BASE_LABELS + tuple(sorted(labels))
    with _lock:
        session = _connection_id()
        if session != _session[0]:  # a new cluster in this process starts from nothing
            _instruments.clear()
            _held.clear()
            _session[0] = session
        if name not in _instruments:
            cls = Counter if kind == "counter" else Gauge
            _instruments[name] = (cls(name, description=_describe(name), tag_keys=keys), keys)
        instrument, known = _instruments[name]
    assert known == keys, (name, known, keys)  # _check_keys ran first
    return instrument


def _connection_id() -> int:
    import ray._private.worker as worker

    return id(getattr(worker.global_worker, "core_worker", None))


def _describe(name: str) -> str:
    return f"SkyRay {name.removeprefix('skyray_').replace('_', ' ')} (see skyray.metrics)"


def _refresh_period_s() -> float:
    try:
        import ray

        interval_ms = float(ray._config.metrics_report_interval_ms())
    except Exception:  # noqa: BLE001 - an older or newer Ray without this config accessor
        interval_ms = 10_000.0
    return max(0.5, max(interval_ms, 1000.0) / 2000.0)  # twice per export interval


def _start_refresher() -> None:
    global _refresher
    with _lock:
        if _refresher is not None and _refresher.is_alive():
            return
        _refresher = threading.Thread(target=_refresh_loop, name="skyray-metrics", daemon=True)
        _refresher.start()


def _refresh_loop() -> None:
    import time

    period = _refresh_period_s()
    while True:
        time.sleep(period)
        if not ray_connected():
            return
        with _lock:
            held = list(_held.items())
            gauges = {name: inst for name, (inst, _) in _instruments.items()}
        for (name, tags), value in held:
            try:
                gauges[name].set(value, tags=dict(tags))
            except Exception:  # noqa: BLE001 - Ray shutting down under us: stop quietly
                return
