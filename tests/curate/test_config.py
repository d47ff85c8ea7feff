from pathlib import Path

import pytest

from skyray.config import ConfigError, load_config, load_stage_config
from skyray.curate.config import CurateConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(ROOT.glob("configs/*/curate*.yaml")))
def test_shipped_configs_validate(path):
    cfg = load_stage_config(path)
    assert isinstance(cfg, CurateConfig)
    assert path.read_text().startswith("# skyray curate ")
    assert cfg.decontam.ngram == 30 and cfg.decontam.benchmarks == ["gsm8k-test", "math-test"]


def test_short_benchmark_names_and_overrides():
    cfg = load_config(
        CurateConfig, None, ["decontam.benchmarks=[gsm8k, math]", "decontam.ngram=13"]
    )
    assert cfg.decontam.benchmarks == ["gsm8k-test", "math-test"] and cfg.decontam.ngram == 13


@pytest.mark.parametrize(
    "override, message",
    [
        ("near_dedup.bands=30", "exceeds num_perm"),
        ("near_dedup.threshold=1.5", "threshold"),
        ("decontam.benchmarks=[nope]", "unknown benchmark"),
        ("decontam.ngram=1", "ngram"),
        ("engine=spark", "engine"),
        ("format.grader=fuzzy", "grader"),
        ("worker_cpus=0", "worker_cpus"),
        ("decontam.fields=[answer]", "question and/or response"),
    ],
)
def test_bad_values_are_clear_errors(override, message):
    with pytest.raises(ValueError, match=message):
        load_config(CurateConfig, None, [override])


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(CurateConfig, None, ["near_dedup.permutations=64"])
