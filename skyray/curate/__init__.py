"""Curation: format checks, n-gram decontamination, exact and MinHash near-dedup on Ray Data.

Public entry points (heavy modules load on first use):

- :class:`~skyray.curate.config.CurateConfig` and its per-step configs;
- :func:`~skyray.curate.run.curate` (inputs -> a folder) and
  :func:`~skyray.curate.run.run_curate` (the run-folder step used by ``skyray pipeline``).

Pure cores: :mod:`.text` (tokens, hashes), :mod:`.minhash`, :mod:`.decontam`, :mod:`.checks`,
:mod:`.dedup`; Ray adapters: :mod:`.engines`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CurateConfig", "curate", "run_curate"]


def __getattr__(name: str) -> Any:
    if name == "CurateConfig":
        from skyray.curate.config import CurateConfig

        return CurateConfig
    if name in ("curate", "run_curate"):
        from skyray.curate import run

        return getattr(run, name)
    raise AttributeError(name)
