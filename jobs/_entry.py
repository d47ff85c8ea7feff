"""Shared by the ``jobs/*.py`` entrypoints: run one ``skyray`` command inside a Ray job.

``ray job submit --working-dir .`` runs the entrypoint in Ray's copy of the working directory;
the copy's own ``skyray`` package is put first on ``sys.path``, so the job runs the code that
was submitted. Inside the job ``RAY_ADDRESS`` is set, so every stage joins the cluster; run
folders need a storage root (``SKYRAY_STORAGE`` through ``--runtime-env-json`` or
``--storage``) and benchmarks ``SKYRAY_DATA_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(command: list[str], extra: list[str] | None = None) -> int:
    """``skyray <command> <argv> <extra>``; ``extra`` are overrides the entrypoint fixes."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from skyray.cli import main

    return main([*command, *sys.argv[1:], *(extra or [])])
