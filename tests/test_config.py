from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from skyray.config import (
    STAGES,
    ConfigError,
    apply_overrides,
    config_hash,
    load_config,
    load_stage_config,
    require,
    stage_class,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "configs").rglob("*.yaml"))


@dataclass(kw_only=True)
class Inner:
    lr: float = 1e-3  # learning rate
    betas: list[float] = field(default_factory=lambda: [0.9, 0.95])


@dataclass(kw_only=True)
class Outer:
    name: str = "x"
    steps: int = 10
    mode: Literal["a", "b"] = "a"
    path: str | None = None
    inner: Inner = field(default_factory=Inner)

    def __post_init__(self) -> None:
        require(self.steps > 0, f"steps must be > 0, got {self.steps}")


def test_defaults_yaml_and_dotted_overrides(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("name: run\ninner:\n  lr: 0.5\n")
    cfg = load_config(Outer, cfg_file, ["inner.betas=[0.8, 0.9]", "steps=3", "mode=b", "path=null"])
    assert cfg == Outer(
        name="run", steps=3, mode="b", path=None, inner=Inner(lr=0.5, betas=[0.8, 0.9])
    )
    assert isinstance(cfg.inner.lr, float)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("stepz=3", "unknown key"),
        ("steps=three", "expected an integer"),
        ("steps=0", "steps must be > 0"),
        ("mode=c", "not one of"),
        ("inner.lr=fast", "expected a number"),
        ("inner=3", "expected a mapping"),
        ("no-equals-sign", "key=value"),
    ],
)
def test_bad_values_are_clear_errors(override, message):
    with pytest.raises(ValueError, match=message):
        load_config(Outer, None, [override])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(Outer, tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(Outer, bad)


def test_hash_is_stable_and_content_sensitive():
    assert config_hash(Outer()) == config_hash(Outer())
    assert config_hash(Outer()) != config_hash(Outer(steps=11))


def test_apply_overrides_does_not_mutate():
    data = {"a": {"b": 1}}
    assert apply_overrides(data, ["a.b=2", "a.c=x"]) == {"a": {"b": 2, "c": "x"}}
    assert data == {"a": {"b": 1}}


def test_every_registered_stage_class_imports():
    for stage in STAGES:
        assert stage_class(stage).__name__


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_every_shipped_config_validates(path):
    text = path.read_text()
    assert text.startswith("#"), f"{path} must start with a comment giving its command"
    assert "skyray" in text.splitlines()[0]
    cfg = load_stage_config(path)
    assert cfg is not None


def test_wrong_stage_key_is_refused(tmp_path):
    from skyray.data.seeds import SeedsConfig

    f = tmp_path / "c.yaml"
    f.write_text("stage: pipeline\n")
    with pytest.raises(ConfigError, match="not a SeedsConfig"):
        load_config(SeedsConfig, f)


def test_a_section_may_be_another_config_file(tmp_path):
    inner = tmp_path / "inner.yaml"
    inner.write_text("lr: 0.25\n")
    outer = tmp_path / "outer.yaml"
    outer.write_text(f"steps: 4\ninner: {inner}\n")
    cfg = load_config(Outer, outer, ["inner.betas=[0.1, 0.2]"])
    assert cfg.inner == Inner(lr=0.25, betas=[0.1, 0.2]) and cfg.steps == 4


def test_a_section_file_of_another_stage_is_refused(tmp_path):
    from skyray.pipeline import PipelineConfig

    seeds = tmp_path / "seeds.yaml"
    seeds.write_text("stage: curate\n")
    with pytest.raises(ConfigError, match="is a 'curate' config, not a SeedsConfig"):
        load_config(PipelineConfig, None, [f"seeds={seeds}"])


def test_float_fields_accept_exponent_strings():
    # YAML 1.1 reads 1e-6 (no dot) as a string; a float field takes it
    assert load_config(Inner, None, ["lr=1e-6"]).lr == 1e-6


def test_an_old_key_override_replaces_the_new_key_of_the_file(tmp_path):
    """`max_new_tokens=8` on the command line over a file that says `max_tokens: 32` is the
    user's latest word (a deprecation warning), not "both keys given"."""
    from skyray.eval.run import EvalConfig

    path = tmp_path / "eval.yaml"
    path.write_text("generation:\n  sampling:\n    max_tokens: 32\n")
    cfg = load_config(EvalConfig, path, ["generation.sampling.max_new_tokens=8"])
    assert cfg.generation.sampling.max_tokens == 8
    cfg = load_config(EvalConfig, path, ["generation.sampling.max_tokens=9"])
    assert cfg.generation.sampling.max_tokens == 9
    path.write_text("generation:\n  sampling:\n    max_tokens: 32\n    max_new_tokens: 16\n")
    with pytest.raises(ConfigError, match="old name of 'max_tokens'"):
        load_config(EvalConfig, path)
