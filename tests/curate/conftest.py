"""Shared pieces for the curation tests: the decontamination index over the real GSM8K and MATH
test sets (built once per session) and a small realistic workload."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def full_index(data_dir):
    from skyray.curate.decontam import benchmark_texts, build_index

    texts = benchmark_texts(["gsm8k-test", "math-test"], str(data_dir))
    return texts, build_index(texts, 30, 8)


@pytest.fixture(scope="session")
def workload(data_dir):
    from skyray.testing.curate_workload import make_workload

    return make_workload(data_dir, 3000, seed=7, leak_rate=0.03)
