"""Data-scaling sweeps on Ray Tune and the scaling report.

- :mod:`skyray.sweep.config`: :class:`SweepConfig` (the grid, the recipes, the cluster fit).
- :mod:`skyray.sweep.subsets`: deterministic nested subsets of one curated dataset.
- :mod:`skyray.sweep.plan`: the grid expanded into trial plans (plain data for Tune).
- :mod:`skyray.sweep.trainable`: the Tune function trial: SFT (``run_sft``) then ``run_eval``.
- :mod:`skyray.sweep.run`: ``run_sweep``, the driver (checks, subsets, ``Tuner``/``restore``).
- :mod:`skyray.sweep.results`, :mod:`skyray.sweep.fit`, :mod:`skyray.sweep.report`,
  :mod:`skyray.sweep.plots`: the scaling report, rebuilt from the sweep folder alone.

Nothing here imports ray, torch or matplotlib at module import time.
"""
