"""An in-process backend (:mod:`skyray.llm.backends`: deterministic teacher, transformers...)
behind the client interface: no server, no HTTP, same cache and accounting."""

from __future__ import annotations

import asyncio
from typing import Any

from skyray.llm.cache import ResponseCache
from skyray.llm.client import CachedClient
from skyray.llm.types import Completion, RequestInput
from skyray.llm.usage import Usage


class LocalTeacher(CachedClient):
    """``backend`` is any :class:`skyray.llm.backends.Backend`."""

    def __init__(self, backend, model: str | None = None, cache: ResponseCache | None = None):
        self.backend = backend
        self.model = model or backend.model_name
        self.cache = cache
        self.usage = Usage()

    async def _generate(self, request: RequestInput, sampling: dict[str, Any]) -> Completion:
        try:
            if isinstance(request, str):
                result = await asyncio.to_thread(self.backend.complete, request, sampling)
            else:
                result = await asyncio.to_thread(self.backend.chat, request, sampling)
        except ValueError as exc:
            return Completion(
                error=f"backend:{exc}", attempts=1, error_kind="backend", error_detail=str(exc)
            )
        return Completion(
            text=result.text,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            attempts=1,
        )
