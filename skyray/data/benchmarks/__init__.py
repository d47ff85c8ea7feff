"""Benchmark registry: ``load_benchmark(name)`` -> list of Problems. See ``base``."""

from skyray.data.benchmarks.base import (
    DATA_DIR_ENV,
    DataNotFoundError,
    MalformedRowError,
    get_benchmark,
    list_benchmarks,
    load_benchmark,
    load_benchmark_report,
)

__all__ = [
    "DATA_DIR_ENV",
    "DataNotFoundError",
    "MalformedRowError",
    "get_benchmark",
    "list_benchmarks",
    "load_benchmark",
    "load_benchmark_report",
]
