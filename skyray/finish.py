"""Why a generation ended, for engines that do not say so.

Ray 2.60's ``ray.data.llm`` vLLM stage returns ``generated_text``, ``generated_tokens``,
``num_generated_tokens`` and ``num_input_tokens`` (plus the carried-over input columns, among them
``sampling_params``) but not vLLM's ``finish_reason``. A reply that used its whole ``max_tokens``
budget, or filled the model's context (``max_model_len``), was cut: it is ``"length"``, never a
complete answer to cache or accept. Otherwise the engine stopped on EOS or a stop string:
``"stop"``. The one ambiguous case, EOS as exactly the ``max_tokens``-th token, counts as
``"length"`` (a complete reply dropped, never a truncated one kept).
"""

from __future__ import annotations

from typing import Any

LENGTH, STOP = "length", "stop"


def engine_finish_reason(row: dict[str, Any], max_model_len: int | None = None) -> str:
    """``"stop"`` or ``"length"`` for one output row of the ``ray.data.llm`` vLLM stage."""
    reported = row.get("finish_reason")
    if reported:  # a Ray that carries vLLM's own reason
        return str(reported)
    generated = row.get("num_generated_tokens")
    if generated is None:
        generated = len(row.get("generated_tokens") or [])
    generated = int(generated)
    params = row.get("sampling_params") or {}
    max_tokens = params.get("max_tokens") if isinstance(params, dict) else None
    if max_tokens is not None and generated >= int(max_tokens):
        return LENGTH
    prompt = int(row.get("num_input_tokens") or 0)
    if max_model_len is not None and prompt + generated >= max_model_len:
        return LENGTH
    return STOP
