"""Typed stage configs: YAML files plus dotted ``key=value`` overrides into dataclasses.

Every stage owns one ``@dataclass(kw_only=True)`` config whose fields carry a comment and whose
``__post_init__`` raises ``ValueError`` for the user's mistakes. A nested config section may be
given inline or as the path of another YAML file (relative to the working directory), so a
pipeline config can reuse the stages' own files. This module turns plain data
(YAML, CLI overrides) into such dataclasses with type checks, and hashes them for run manifests.

A shipped YAML file names its stage in a top-level ``stage:`` key; :data:`STAGES` maps that name
to the config class (as an import string, so importing this module stays light).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import logging
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# stage name -> "module:Class" of its config dataclass. Later stages register here.
STAGES: dict[str, str] = {
    "seeds": "skyray.data.seeds:SeedsConfig",
    "score": "skyray.eval.score:ScoreConfig",
    "eval": "skyray.eval.run:EvalConfig",
    "eval-distractors": "skyray.eval.distractors:DistractorConfig",
    "eval-verify": "skyray.eval.verifier:VerifierConfig",
    "pipeline": "skyray.pipeline:PipelineConfig",
    "curate": "skyray.curate.config:CurateConfig",
    "sft": "skyray.train.config:SFTConfig",
    "synth": "skyray.synth.config:SynthConfig",
    "serve": "skyray.serve.server:ServeConfig",
    "selfcompare": "skyray.selfcompare.config:SelfCompareConfig",
    "sweep": "skyray.sweep.config:SweepConfig",
}


class ConfigError(ValueError):
    """A config file or override that cannot be turned into the stage's config."""


def stage_class(stage: str) -> type:
    """The config dataclass registered for ``stage``."""
    if stage not in STAGES:
        raise ConfigError(f"unknown stage {stage!r}; known stages: {', '.join(sorted(STAGES))}")
    module_name, _, class_name = STAGES[stage].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; a clear error for a missing file or a non-mapping document."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b.c=value`` -> (["a", "b", "c"], value) with the value parsed as YAML."""
    import yaml

    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} is not of the form key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return [part for part in key.strip().split(".")], value


def apply_overrides(
    data: dict[str, Any], overrides: list[str], renamed: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return a copy of ``data`` with each dotted override set (creating nested mappings).
    ``renamed`` (old key -> new key): an override of either name replaces the other one the
    file gave, so an old-name override of a new-name file key is not "both given"; both names
    among the overrides themselves is an error."""
    twins = {**(renamed or {}), **{new: old for old, new in (renamed or {}).items()}}
    result = json.loads(json.dumps(data, default=str))
    given: set[tuple[str, ...]] = set()
    for text in overrides:
        keys, value = parse_override(text)
        node = result
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if isinstance(child, str) and child.endswith((".yaml", ".yml")):
                child = node[key] = read_yaml(child)  # override inside a section given as a file
                child.pop("stage", None)
            if not isinstance(child, dict):
                raise ConfigError(f"override {text!r}: {key!r} is not a mapping")
            node = child
        node[keys[-1]] = value
        given.add(tuple(keys))
        twin = twins.get(keys[-1])
        if twin and (*keys[:-1], twin) not in given:  # both as overrides: from_dict refuses
            node.pop(twin, None)
    return result


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build dataclass ``cls`` from plain data, checking keys and types recursively."""
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    data = _renamed(cls, data, where)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(fields)}")
    kwargs = {name: _coerce(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ConfigError(f"{where}: {exc}") from None


def _renamed(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    """Keys a config class renamed (its ``RENAMED_KEYS``: old -> new) still load, with one
    warning line naming the new key; both at once is an error."""
    renamed = getattr(cls, "RENAMED_KEYS", {})
    if not renamed or not set(data) & set(renamed):
        return data
    data = dict(data)
    for old, new in renamed.items():
        if old in data:
            if new in data:
                raise ConfigError(f"{where}: {old!r} is the old name of {new!r}; give only {new!r}")
            logging.getLogger("skyray.config").warning(
                "%s.%s is deprecated: use %s.%s", where, old, where, new
            )
            data[new] = data.pop(old)
    return data


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(arg, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(
            errors[0] if len(errors) == 1 else f"{where}: {value!r} fits none of {tp}"
        )
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: {value!r} is not one of {list(args)}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item_type = args[0] if args else Any
        items = [_coerce(item_type, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        value_type = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(value_type, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, str) and value.endswith((".yaml", ".yml")):
            value = _section_from_file(tp, value, where)
        return from_dict(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-6" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    return value


def _section_from_file(tp: type, path: str, where: str) -> dict[str, Any]:
    """A nested config given as a path to another YAML file (e.g. a pipeline's ``synth:
    configs/paper/synth.yaml``); its ``stage:`` key must match the section's type."""
    data = read_yaml(path)
    stage = data.pop("stage", None)
    if stage is not None and stage in STAGES and stage_class(stage) is not tp:
        raise ConfigError(f"{where}: {path} is a {stage!r} config, not a {tp.__name__}")
    return data


def load_config(
    cls: type[T], path: str | Path | None = None, overrides: list[str] | None = None
) -> T:
    """Load ``cls`` from an optional YAML file (its ``stage:`` key is checked and dropped)
    plus dotted overrides. Field defaults fill whatever the file leaves out."""
    data = read_yaml(path) if path else {}
    stage = data.pop("stage", None)
    if stage is not None and stage in STAGES and stage_class(stage) is not cls:
        raise ConfigError(f"{path}: is a {stage!r} config, not a {cls.__name__}")
    data = apply_overrides(data, overrides or [], renamed_keys(cls))
    data.pop("stage", None)
    return from_dict(cls, data)


def renamed_keys(cls: Any, seen: set | None = None) -> dict[str, str]:
    """Every ``RENAMED_KEYS`` (old -> new) of ``cls`` and the config classes nested in it."""
    seen = set() if seen is None else seen
    if cls in seen:
        return {}
    seen.add(cls)
    if not dataclasses.is_dataclass(cls):
        return {k: v for arg in typing.get_args(cls) for k, v in renamed_keys(arg, seen).items()}
    found = dict(getattr(cls, "RENAMED_KEYS", {}))
    for tp in typing.get_type_hints(cls).values():
        found.update(renamed_keys(tp, seen))
    return found


def load_stage_config(path: str | Path, overrides: list[str] | None = None) -> Any:
    """Load a shipped YAML whose ``stage:`` key names its config class."""
    data = read_yaml(path)
    if "stage" not in data:
        raise ConfigError(f"{path}: missing top-level 'stage:' key naming the stage")
    return load_config(stage_class(str(data["stage"])), path, overrides)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain-data view of a config dataclass (what manifests record)."""
    return dataclasses.asdict(cfg)


def config_hash(cfg: Any) -> str:
    """Stable short hash of a config's content."""
    blob = json.dumps(to_dict(cfg), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition``: for ``__post_init__`` validation."""
    if not condition:
        raise ValueError(message)


def require_seconds(value: float, name: str, maximum: float = 3600.0) -> None:
    """A duration in seconds: finite, > 0 and at most ``maximum`` (``inf``, ``nan`` and ``1e300``
    would overflow the timers that enforce it)."""
    require(
        math.isfinite(value) and 0 < value <= maximum,
        f"{name} must be a number of seconds in (0, {maximum:g}], got {value}",
    )
