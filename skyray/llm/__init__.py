"""The one generation layer every stage uses (synthesis, evaluation, verifiers, self-compare,
serving). Small modules, one job each; heavy libraries are imported inside functions:

- :mod:`.types`: requests (chat messages or a prompt), sampling keys, :class:`Completion`;
- :mod:`.config`: :class:`SamplingConfig` (the one sampling section) and :class:`TeacherConfig`
  (an OpenAI-compatible endpoint: concurrency, timeouts, retries, budget, prices);
- :mod:`.usage`: running totals and cost; :mod:`.cache`: the append-only reply cache;
  :mod:`.ratelimit`: the RPM/TPM budget (per process or a shared Ray actor);
- :mod:`.retry`: error classification and the ``tenacity`` retry policy (Retry-After honoured);
- :mod:`.endpoint`: the start-up check of an endpoint (reachable, key, model), written once;
- :mod:`.client`: cache lookup and accounting shared by every client;
  :mod:`.openai_client`: :class:`OpenAITeacher`; :mod:`.local`: :class:`LocalTeacher` (an
  in-process backend, no HTTP); :mod:`.aio`: running coroutines from sync code;
- :mod:`.backends`: the backend protocol (``chat``/``complete`` -> :class:`Result`) and the
  registry that builds one by name (``deterministic``, ``miniworld``, ``transformers``);
- :mod:`.hf`: the one in-process transformers model (single requests and batches);
- :mod:`.vllm_batch`: the one ``ray.data.llm`` batch path (GPU clusters);
- :mod:`.generation`: row generation for evaluation (:class:`GenerationConfig` selects
  ``transformers``, ``openai`` or ``vllm``), with :mod:`.openai_generator` as its OpenAI adapter.
"""

from skyray.llm.aio import run_sync
from skyray.llm.cache import ResponseCache, request_key
from skyray.llm.config import SamplingConfig, TeacherConfig, teacher_sampling
from skyray.llm.local import LocalTeacher
from skyray.llm.openai_client import OpenAITeacher
from skyray.llm.types import SAMPLING_KEYS, Completion, TeacherError, normalise_sampling
from skyray.llm.usage import Usage

__all__ = [
    "SAMPLING_KEYS",
    "Completion",
    "LocalTeacher",
    "OpenAITeacher",
    "ResponseCache",
    "SamplingConfig",
    "TeacherConfig",
    "TeacherError",
    "Usage",
    "normalise_sampling",
    "request_key",
    "run_sync",
    "teacher_sampling",
]
