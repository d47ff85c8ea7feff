"""Errors the CLI prints as one line (``skyray: error: ...``) with exit code 1.

User mistakes (bad input, bad config) stay ``ValueError``/``FileNotFoundError`` (exit 2);
these are steps that ran and failed, or servers that could not start.
"""

from __future__ import annotations


class SkyrayError(RuntimeError):
    """A failure the user must act on, described in one line (no traceback)."""


class StepFailedError(SkyrayError):
    """A step whose output fell short of what its config asked for: no ``_SUCCESS`` written."""


class ServeError(SkyrayError):
    """A server that could not start (port in use, refused exposure, exited early)."""
