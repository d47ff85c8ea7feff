"""Contamination guard: overlap between a model's training data and the evaluated benchmarks.

It uses the curation stage's n-gram decontamination index (:mod:`skyray.curate.decontam`), the
same one that filters training data, so "clean" means the same thing in both places. Where that
module is not available the guard says so in the report instead of guessing.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from skyray.eval.items import EvalItem

logger = logging.getLogger(__name__)


def check_contamination(training_manifest: str, items: list[EvalItem]) -> dict[str, Any]:
    """Report which evaluated problems overlap the training data named by ``training_manifest``."""
    if importlib.util.find_spec("skyray.curate.decontam") is None:
        line = (
            "not checked: the curation n-gram index (skyray.curate.decontam) is not available "
            f"in this install; training data {training_manifest} was not compared"
        )
        logger.warning("contamination guard: %s", line)
        return {"status": "unavailable", "summary": [line]}
    raise NotImplementedError  # wired to skyray.curate.decontam below once it lands
