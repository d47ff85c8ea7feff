"""Evaluation rows through the one OpenAI-compatible client (``skyray serve``, ``vllm serve`` or
a hosted API): completions (the raw SFT prompt) or chat.

The endpoint is checked once at start-up, so an unreachable server is one clear
``ConnectionError``, not a thousand failed rows; a request that still fails after the client's
retries becomes an error row (``api: HTTP 500: ...``, ``api: APITimeoutError: ...``,
``api: bad-response: ...``). The API key is read from the env var the config names.
"""

from __future__ import annotations

from skyray.llm.config import TeacherConfig
from skyray.llm.generation import GenerationConfig, GenRequest, GenResult
from skyray.llm.openai_client import OpenAITeacher
from skyray.llm.types import Completion

UNREACHABLE = "cannot reach OpenAI-compatible endpoint {url}: {cause}"


class OpenAIGenerator:
    name = "openai"

    def __init__(self, cfg: GenerationConfig) -> None:
        o = cfg.openai
        self.cfg = cfg
        self.client = OpenAITeacher(
            TeacherConfig(
                base_url=o.base_url,
                model=cfg.model,
                api_key_env=o.api_key_env,
                max_concurrency=o.concurrency,
                timeout_s=o.timeout_s,
                max_retries=o.max_retries,
                backoff_max_s=8.0,
            )
        )
        self.client.check(unreachable=UNREACHABLE, missing_models_route_ok=True)

    def close(self) -> None:
        pass  # the client's connections live only inside each generate() call

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        chat = self.cfg.openai.api == "chat"
        by_sample: dict[int, list[int]] = {}  # sampling params differ only by sample index
        for i, req in enumerate(requests):
            by_sample.setdefault(req.sample_index, []).append(i)
        results: list[GenResult | None] = [None] * len(requests)
        for index, rows in by_sample.items():
            prompts = [requests[i].prompt for i in rows]
            inputs = [[{"role": "user", "content": p}] for p in prompts] if chat else prompts
            outs = self.client.complete_batch(inputs, self.params(index))
            for i, out in zip(rows, outs, strict=True):
                results[i] = to_result(requests[i].key, out)
        return results  # type: ignore[return-value]

    def params(self, sample_index: int) -> dict:
        s = self.cfg.sampling
        params = {"max_tokens": s.max_tokens, "temperature": s.temperature}
        if s.temperature > 0:
            params.update(top_p=s.top_p, seed=s.seed + sample_index)
        return params


def to_result(key: str, out: Completion) -> GenResult:
    if out.ok:
        return GenResult(
            key,
            text=out.text,
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            finish_reason=out.finish_reason or "",
        )
    if out.error_kind == "bad-response":
        return GenResult(key, error=f"api: bad-response: {out.error_detail}")
    return GenResult(key, error=f"api: {out.error_detail or out.error}")
