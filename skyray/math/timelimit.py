"""CPU-time limits for the grader: one per symbolic comparison, one per graded row.

Why not math-verify's own timeout: it catches ``Exception`` around its sympy calls, so a timeout
raised inside is swallowed and the work goes on (one ``(10^{9})!`` took ~10 s of CPU under a 2 s
limit). Here the timeout is a ``BaseException`` and it is raised again every
``REFIRE_S`` of CPU time until the limited call has returned, so no ``except Exception`` can keep
it alive.

- In the main thread the clock is the process's CPU time (``ITIMER_PROF``), with a wall-clock
  backstop (``WALL_BACKSTOP`` times the limit) for a call that blocks without computing.
- In other threads a watchdog thread reads the limited thread's own CPU clock
  (``pthread_getcpuclockid``) and raises the timeout in it (``PyThreadState_SetAsyncExc``).

A row budget (:func:`row_budget`) caps the CPU time of all comparisons made while grading one row:
each comparison gets ``min(limit, what is left of the row)``, and none starts once it is spent.
Limits are CPU time, so a loaded machine does not change verdicts.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
REFIRE_S = 0.05  # after the first expiry the timeout is raised again this often (CPU seconds)
# wall-clock limit as a multiple of the CPU limit, for a call that waits instead of computing;
# generous, so that a machine shared by many processes does not change verdicts
WALL_BACKSTOP = 30.0
_POLL_S = 0.005  # watchdog period off the main thread


class EquivTimeout(BaseException):
    """A comparison (or the row's budget) ran past its CPU-time limit.

    A ``BaseException`` on purpose: libraries that catch ``Exception`` must not swallow it."""


class _Row:
    """The grading budget of one row: a CPU-time deadline (``time.thread_time`` units)."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.spent = False  # set when a comparison was cut by the row's budget

    def remaining(self) -> float:
        return 0.0 if self.spent else self.deadline - time.thread_time()


_ROW: contextvars.ContextVar[_Row | None] = contextvars.ContextVar(
    "skyray_grading_row", default=None
)


@contextlib.contextmanager
def row_budget(seconds: float | None) -> Iterator[None]:
    """All comparisons inside share ``seconds`` of CPU time (None or <= 0: no row budget).
    A nested budget never extends the outer one."""
    if seconds is None or seconds <= 0:
        yield
        return
    deadline = time.thread_time() + seconds
    outer = _ROW.get()
    token = _ROW.set(_Row(deadline if outer is None else min(outer.deadline, deadline)))
    try:
        yield
    finally:
        _ROW.reset(token)


def row_remaining() -> float | None:
    """CPU seconds left in the current row's budget (None outside a row)."""
    row = _ROW.get()
    return None if row is None else row.remaining()


def run_limited(fn: Callable[[], T], timeout_s: float | None) -> T:
    """``fn()`` under ``timeout_s`` CPU seconds (capped by the row budget); EquivTimeout past it."""
    row = _ROW.get()
    limit = timeout_s if timeout_s is not None and timeout_s > 0 else None
    row_bound = row is not None and (limit is None or row.remaining() <= limit)
    if row_bound:
        limit = row.remaining()
    if limit is None:
        return fn()
    if limit <= 0:
        raise EquivTimeout("the row's grading budget is spent")
    try:
        if threading.current_thread() is threading.main_thread():
            return _main_thread_limited(fn, limit)
        return _WATCHDOG.limited(fn, limit)
    except EquivTimeout:
        if row_bound:
            row.spent = True
        raise


def _main_thread_limited(fn: Callable[[], T], limit: float) -> T:
    armed = [True]

    def on_timer(signum, frame):
        if armed[0]:
            kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
            raise EquivTimeout(f"comparison exceeded {limit:.3g}s of {kind} time")

    previous = {sig: signal.signal(sig, on_timer) for sig in (signal.SIGPROF, signal.SIGALRM)}
    signal.setitimer(signal.ITIMER_PROF, limit, REFIRE_S)
    signal.setitimer(signal.ITIMER_REAL, limit * WALL_BACKSTOP, REFIRE_S)
    try:
        return fn()
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None
    )


class _Watchdog:
    """One daemon thread per process that interrupts limited calls in other threads."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._entries: dict[int, tuple[int, float, float]] = {}  # ident -> clock, cpu, wall
        self._thread: threading.Thread | None = None

    def limited(self, fn: Callable[[], T], limit: float) -> T:
        ident = threading.get_ident()
        clock = time.pthread_getcpuclockid(ident)
        entry = (clock, time.clock_gettime(clock) + limit, time.monotonic() + limit * WALL_BACKSTOP)
        with self._cond:
            self._entries[ident] = entry
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="grade-limit")
                self._thread.start()
            self._cond.notify()
        try:
            return fn()
        finally:
            with self._cond:
                self._entries.pop(ident, None)
            _set_async_exc(ident, None)  # drop a timeout delivered after fn returned

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._entries:
                    self._cond.wait()
                for ident, (clock, cpu_deadline, wall_deadline) in list(self._entries.items()):
                    try:
                        late = time.clock_gettime(clock) > cpu_deadline
                    except OSError:  # the thread is gone
                        self._entries.pop(ident, None)
                        continue
                    if late or time.monotonic() > wall_deadline:
                        _set_async_exc(ident, EquivTimeout)  # again each poll until it returns
            time.sleep(_POLL_S)


_WATCHDOG = _Watchdog()
