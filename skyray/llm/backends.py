"""In-process generation backends: the protocol, and their selection by name.

A backend answers one chat request or one prompt with a :class:`Result`; the OpenAI HTTP layer
(:mod:`skyray.serve.protocol`) and :class:`~skyray.llm.local.LocalTeacher` drive any of them:

- ``transformers``: :class:`skyray.llm.hf.TransformersModel`, a local causal LM;
- ``deterministic``: :class:`skyray.testing.deterministic.DeterministicTeacher`, valid answers to
  SkyRay's own prompts from known seed problems (tests, demos, benchmarks);
- ``miniworld``: :class:`skyray.testing.miniworld.teacher.MiniWorldTeacher`, the miniature
  world's teacher;
- ``vllm`` has no backend object: Ray Serve LLM serves it directly (:mod:`skyray.serve.llm`).

:data:`BACKENDS` maps a name to ``"module:factory"``, imported only when that backend is built,
so the production layer never imports the test stand-ins.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

BACKENDS = {  # name -> "module:callable(cfg)" (cfg: a ServeConfig-like object)
    "transformers": "skyray.llm.hf:TransformersModel.from_config",
    "deterministic": "skyray.testing.deterministic:DeterministicTeacher.from_config",
    "miniworld": "skyray.testing.miniworld.teacher:MiniWorldTeacher.from_config",
}


@dataclass
class Result:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"  # "stop" or "length"


class Backend(Protocol):
    model_name: str

    def chat(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> Result: ...

    def complete(self, prompt: str, sampling: dict[str, Any]) -> Result: ...


@dataclass
class LocalBackendSpec:
    """The fields :func:`make_backend` reads, for an in-process backend built without a
    ServeConfig (a synthesis or self-compare teacher with ``backend: local``)."""

    backend: str  # a name in BACKENDS
    served_model_name: str
    model_path: str = ""  # transformers
    problems: list = field(default_factory=list)  # deterministic: Problem rows it answers from
    seeds_path: str = ""
    seed_sources: list[str] = field(default_factory=list)
    data_dir: str = ""


def apply_stop(text: str, stop: str | list[str] | None) -> tuple[str, bool]:
    """Cut ``text`` at the first stop sequence; (text, whether it was cut)."""
    if not stop:
        return text, False
    stops = [stop] if isinstance(stop, str) else list(stop)
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def resolve(spec: str):
    """The object a ``"module:attr.attr"`` string names."""
    module, _, attrs = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for name in attrs.split("."):
        obj = getattr(obj, name)
    return obj


def make_backend(cfg) -> Backend:
    """The backend ``cfg.backend`` names (``cfg``: a :class:`skyray.serve.server.ServeConfig`
    or any object with the fields that backend reads)."""
    spec = BACKENDS.get(cfg.backend)
    if spec is None:
        raise ValueError(f"backend {cfg.backend!r} has no in-process implementation")
    return resolve(spec)(cfg)
