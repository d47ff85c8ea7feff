"""Credentials never leave the process: ``http://user:secret@host/v1`` -> ``http://user:***@host/v1``.

:func:`redact` walks plain data (manifests, configs, argv) and masks the password of every URL
in every string; :class:`RedactingFilter` does the same to log records, installed on the
handlers of the ``skyray`` command's logging. API keys themselves are never in configs (only the
name of the environment variable holding them), so URLs are the one place a secret can hide.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"
# scheme://user:password@ (the password is masked) or scheme://token@ (a bare user is often a
# token: masked whole); neither part may hold '@', '/' or whitespace
_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*)(?P<pw>:[^\s/@]*)?@"
)


def redact_text(text: str) -> str:
    """``text`` with the password of each URL in it replaced by ``***``."""
    if "@" not in text:
        return text
    return _URL_CREDENTIALS.sub(_mask, text)


def _mask(match: re.Match) -> str:
    if match["pw"] is None:  # scheme://token@host
        return f"{match['head']}{MASK}@"
    return f"{match['head']}{match['user']}:{MASK}@"


def redact(data: Any) -> Any:
    """A copy of plain data (dicts, lists, tuples, strings) with URL credentials masked."""
    if isinstance(data, str):
        return redact_text(data)
    if isinstance(data, dict):
        return {key: redact(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(redact(value) for value in data)
    return data


class RedactingFilter(logging.Filter):
    """Masks URL credentials in a record's message (arguments included) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (the root by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
