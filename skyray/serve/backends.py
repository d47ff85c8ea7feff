"""Generation backends behind the OpenAI-compatible apps.

A backend answers one chat request or one prompt with a :class:`Result`; the HTTP layer
(:mod:`skyray.serve.protocol`) is the same for all of them:

- ``deterministic``: :class:`skyray.serve.deterministic.DeterministicTeacher`, answers the
  synthesis prompts with valid outputs derived from known seed problems (tests, demos, benchmarks);
- ``miniworld``: :class:`skyray.testing.miniworld.teacher.MiniWorldTeacher`, the miniature
  world's teacher (new problems of the world, correct solutions, configurable noise and leaks);
- ``transformers``: :class:`skyray.serve.hf.TransformersBackend`, a local causal LM on CPU;
- ``vllm``: not a backend object; Ray Serve LLM serves it directly (:mod:`skyray.serve.llm`).

:func:`make_backend` builds one from a :class:`skyray.serve.server.ServeConfig` (in the Ray Serve
replica or in-process for :class:`skyray.synth.teacher.LocalTeacher`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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


def apply_stop(text: str, stop: str | list[str] | None) -> tuple[str, bool]:
    """Cut ``text`` at the first stop sequence; (text, whether it was cut)."""
    if not stop:
        return text, False
    stops = [stop] if isinstance(stop, str) else list(stop)
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def make_backend(cfg) -> Backend:
    """The backend named by ``cfg.backend`` (a ServeConfig)."""
    if cfg.backend == "deterministic":
        from skyray.serve.deterministic import DeterministicTeacher

        return DeterministicTeacher.from_config(cfg)
    if cfg.backend == "miniworld":
        from skyray.testing.miniworld.teacher import MiniWorldTeacher

        return MiniWorldTeacher.from_config(cfg)
    if cfg.backend == "transformers":
        from skyray.serve.hf import TransformersBackend

        return TransformersBackend(cfg.model_path, model_name=cfg.served_model_name)
    raise ValueError(f"backend {cfg.backend!r} has no in-process implementation")
