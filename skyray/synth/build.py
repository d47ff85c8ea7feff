"""The synthesis teacher a config names, wrapped for the operators: ``build_context``.

Used by the pipeline (in this process) and by every Ray worker (:mod:`skyray.synth.runner`);
both import it from here, so neither imports the other. ``backend: local`` is an in-process
backend of :mod:`skyray.llm.backends` (a transformers model at ``local_model_path``, else the
deterministic teacher over the seeds); ``openai`` is :class:`~skyray.llm.OpenAITeacher`.
"""

from __future__ import annotations

from skyray.records import Problem
from skyray.synth.config import SynthConfig


def build_teacher(cfg: SynthConfig, cache, seeds: list[Problem], limiter=None, check: bool = True):
    """The teacher the config names (checked for reachability/key/model when ``check``)."""
    from skyray.llm import LocalTeacher, OpenAITeacher
    from skyray.llm.backends import LocalBackendSpec, make_backend

    if cfg.backend == "local":
        kind = "transformers" if cfg.local_model_path else "deterministic"
        spec = LocalBackendSpec(kind, cfg.teacher.model, cfg.local_model_path, seeds)
        return LocalTeacher(make_backend(spec), cache=cache)
    teacher = OpenAITeacher(cfg.teacher, cache=cache, limiter=limiter)
    if check:
        teacher.check()
    return teacher


def build_context(cfg: SynthConfig, cache, seeds: list[Problem], limiter=None, check=True):
    from skyray.synth.context import OpContext

    teacher = build_teacher(cfg, cache, seeds, limiter, check)
    return OpContext(teacher, cfg.sampling.request_params(), cfg.check_answers, cfg.evol.min_words)
