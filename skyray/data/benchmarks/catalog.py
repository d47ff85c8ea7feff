"""Imports every benchmark module; each registers itself in ``base.REGISTRY``."""

from skyray.data.benchmarks import (  # noqa: F401
    agieval,
    cmath,
    gsm8k,
    gsm_plus,
    jeebench,
    math,
    math500,
    metamath_backward,
    miniworld,
    olympiadbench,
    scibench,
)
