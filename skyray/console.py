"""What a person reads on the console.

- :func:`setup` (the ``skyray`` command calls it first): log level from ``-q``/``-v``; in a pipe
  or a job log (stderr not a terminal) every escape sequence is stripped from stdout and stderr
  (Ray's coloured worker prefixes, bold dashboard URLs) and a ``\\r``-redrawn progress bar keeps
  only its last state; Ray Data then logs its progress every 10 s instead of drawing bars (Ray's
  own non-terminal mode), Hugging Face progress bars are off, and each third-party warning is
  shown once. ``-q`` also turns Ray Data's progress off and keeps only warnings, errors and the
  final results; ``-v`` shows debug logs, HTTP request lines included.
- :func:`step_started` / :func:`step_finished`: the start line and the summary line of every
  step (``skyray.runs.Step`` calls them).
- :class:`Ticker`: progress lines at a steady interval with rate and ETA.
- :func:`summary_table`: the table ``skyray pipeline`` ends with.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger("skyray.console")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY_LOGGERS = ("httpx", "httpx2", "httpcore", "openai", "urllib3", "filelock")
PROGRESS_INTERVAL_ENV = "SKYRAY_PROGRESS_INTERVAL_S"  # Ticker's default interval (10 s)


class PlainStream(io.TextIOBase):
    """A text stream that writes to ``raw`` without escape sequences; for each line only what a
    terminal would finally show after ``\\r`` redraws is kept."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self._partial = ""

    def write(self, text: str) -> int:
        lines = ANSI.sub("", self._partial + text).split("\n")
        self._partial = lines.pop()
        if lines:
            self.raw.write("\n".join(line.rsplit("\r", 1)[-1] for line in lines) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._partial and "\r" not in self._partial:  # a prompt, not a redrawn bar
            self.raw.write(self._partial)
            self._partial = ""
        self.raw.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")


def is_terminal() -> bool:
    return sys.stderr.isatty()


def setup(verbosity: int = 0) -> None:
    """Configure logging and output for the ``skyray`` command: ``-1`` quiet, ``0`` normal,
    ``1`` verbose. Call before anything imports Ray (its log handler keeps the stream)."""
    if not is_terminal():
        if not isinstance(sys.stdout, PlainStream):
            sys.stdout = PlainStream(sys.stdout)
        if not isinstance(sys.stderr, PlainStream):
            sys.stderr = PlainStream(sys.stderr)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # also for local workers
        os.environ.setdefault("RAY_COLOR_PREFIX", "0")
        os.environ.setdefault("RAY_TQDM", "0")  # Ray Data in Train workers: log, no cursor bars
    if verbosity < 0:
        os.environ["SKYRAY_QUIET"] = "1"  # skyray.cluster.init_ray: log_to_driver=False
        os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    else:
        os.environ.pop("SKYRAY_QUIET", None)
    _configure_logging({-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG))
    if verbosity <= 0:  # one line per HTTP request drowns the progress lines
        for noisy in NOISY_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    if verbosity < 0:
        for name in ("ray", "ray.data", "ray.train", "ray.tune"):
            logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    for category in (FutureWarning, UserWarning, RuntimeWarning):
        warnings.filterwarnings("once", category=category)
    os.environ.setdefault("PYTHONWARNINGS", "once::FutureWarning,once::UserWarning")


def _configure_logging(level: int) -> None:
    """Our handler on the root logger at ``level``; a second call (commands run in one process,
    as tests do) replaces it. A root logger someone else configured (pytest's log capture, an
    embedding application) keeps its handlers and level, as ``logging.basicConfig`` would."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "skyray_console", False)]:
        root.removeHandler(handler)
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.skyray_console = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _interval(default: float = 10.0) -> float:
    try:
        return float(os.environ.get(PROGRESS_INTERVAL_ENV, default))
    except ValueError:
        return default


class Ticker:
    """``label: 120/500 rows (24%), 35.2 rows/s, ETA 11s`` at most every ``interval_s``."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        unit: str = "rows",
        interval_s: float | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.interval_s = _interval() if interval_s is None else interval_s
        self.log = log or logger
        self.started = self._last = time.monotonic()
        self.done = 0

    def update(self, done: int, force: bool = False, note: str = "") -> None:
        """Record progress; log a line when ``interval_s`` passed (or ``force``)."""
        self.done = done
        now = time.monotonic()
        if force or now - self._last >= self.interval_s:
            self._last = now
            self.log.info("%s", self.line(now) + (f"; {note}" if note else ""))

    def line(self, now: float | None = None) -> str:
        elapsed = max(1e-9, (now or time.monotonic()) - self.started)
        rate = self.done / elapsed
        text = f"{self.label}: {self.done}"
        if self.total:
            text += f"/{self.total} {self.unit} ({100 * self.done / self.total:.0f}%)"
        else:
            text += f" {self.unit}"
        text += f", {rate:.1f} {self.unit}/s"
        if self.total and rate > 0 and self.done < self.total:
            text += f", ETA {format_duration((self.total - self.done) / rate)}"
        return text


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def step_started(stage: str, path: Path) -> None:
    logger.info("%s: started -> %s", stage, path)


def step_finished(path: Path, manifest: dict[str, Any], stage: str | None = None) -> None:
    """One summary line from the step's manifest (see :mod:`skyray.summary`)."""
    from skyray.summary import summarize

    s = summarize(path, manifest, stage)
    parts = [f"{s.stage}: done in {format_duration(s.wall_s)}"]
    if s.rows_in is not None or s.rows_out is not None:
        parts.append(f"rows in {_num(s.rows_in)}, out {_num(s.rows_out)}")
    drops = {r: n for r, n in s.drops.items() if n}
    if drops:
        top = sorted(drops.items(), key=lambda kv: (-kv[1], kv[0]))[:4]
        more = f", +{len(drops) - 4} more" if len(drops) > 4 else ""
        parts.append(
            f"dropped {sum(drops.values())} (" + ", ".join(f"{r} {n}" for r, n in top) + more + ")"
        )
    if s.headline:
        parts.append(s.headline)
    if s.report is not None:
        parts.append(f"report {s.report}")
    logger.info("%s", "; ".join(parts))


def _num(value: Any) -> str:
    return "-" if value is None else str(value)


def summary_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table: step, status, rows in, rows out, wall time, headline, report."""
    header = ["step", "status", "rows in", "rows out", "wall", "headline", "report"]
    body = [
        [
            str(r.get("step", "")),
            str(r.get("status", "")),
            _num(r.get("rows_in")),
            _num(r.get("rows_out")),
            format_duration(r.get("wall_s")) if r.get("wall_s") is not None else "-",
            r.get("headline") or "-",
            str(r.get("report") or "-"),
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    right = {2, 3, 4}

    def fmt(row: list[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in body)])
