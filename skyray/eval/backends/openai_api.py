"""The OpenAI-compatible backend: ``skyray serve``, ``vllm serve`` or a hosted API.

Requests run on a bounded thread pool; the ``openai`` client retries connection errors, 429s and
5xx itself (``max_retries``). A request that still fails becomes an error row. The endpoint is
checked once at start-up so an unreachable server is one clear ``ConnectionError``, not a
thousand failed rows. The API key is read from the env var the config names and never logged.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

from skyray.eval.generate import GenerationConfig, GenRequest, GenResult

logger = logging.getLogger(__name__)


class OpenAIGenerator:
    name = "openai"

    def __init__(self, cfg: GenerationConfig) -> None:
        import openai

        self.cfg = cfg
        ocfg = cfg.openai
        self._openai = openai
        self.client = openai.OpenAI(
            base_url=ocfg.base_url,
            api_key=os.environ.get(ocfg.api_key_env) or "EMPTY",
            timeout=ocfg.timeout_s,
            max_retries=ocfg.max_retries,
        )
        self._check_endpoint()

    def _check_endpoint(self) -> None:
        try:
            served = [
                m.id for m in self.client.with_options(max_retries=0, timeout=10).models.list()
            ]
        except self._openai.APIConnectionError as exc:
            raise ConnectionError(
                f"cannot reach OpenAI-compatible endpoint {self.cfg.openai.base_url}: {exc}"
            ) from None
        except self._openai.NotFoundError:
            pass  # some servers have no /models route; the requests themselves will tell
        except self._openai.AuthenticationError:
            raise ConnectionError(
                f"endpoint {self.cfg.openai.base_url} rejected the API key "
                f"(from ${self.cfg.openai.api_key_env})"
            ) from None
        else:
            if served and self.cfg.model not in served:
                raise ConnectionError(
                    f"endpoint {self.cfg.openai.base_url} does not serve model "
                    f"{self.cfg.model!r}; it serves {served[:10]}"
                )

    def close(self) -> None:
        self.client.close()

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        with ThreadPoolExecutor(max_workers=self.cfg.openai.concurrency) as pool:
            return list(pool.map(self._one, requests))

    def _params(self, req: GenRequest) -> dict:
        s = self.cfg.sampling
        params = {
            "model": self.cfg.model,
            "max_tokens": s.max_new_tokens,
            "temperature": s.temperature,
        }
        if s.temperature > 0:
            params.update(top_p=s.top_p, seed=s.seed + req.sample_index)
        return params

    def _one(self, req: GenRequest) -> GenResult:
        try:
            if self.cfg.openai.api == "chat":
                resp = self.client.chat.completions.create(
                    messages=[{"role": "user", "content": req.prompt}], **self._params(req)
                )
            else:
                resp = self.client.completions.create(prompt=req.prompt, **self._params(req))
        except self._openai.APIStatusError as exc:
            return GenResult(req.key, error=f"api: HTTP {exc.status_code}: {_short(exc)}")
        except self._openai.APIError as exc:
            return GenResult(req.key, error=f"api: {type(exc).__name__}: {_short(exc)}")
        except (ValueError, TypeError) as exc:  # a 200 whose body is not JSON / not a completion
            return GenResult(req.key, error=f"api: bad-response: {type(exc).__name__}")
        # a 200 that is not a completion (HTML, "choices": [], null content) is an error row
        choices = getattr(resp, "choices", None)
        if not isinstance(choices, list) or not choices:
            return GenResult(req.key, error="api: bad-response: no choices in the reply")
        choice = choices[0]
        chat = self.cfg.openai.api == "chat"
        text = getattr(choice.message, "content", None) if chat else getattr(choice, "text", None)
        if not isinstance(text, str):
            return GenResult(req.key, error="api: bad-response: the choice holds no text")
        usage = getattr(resp, "usage", None)
        return GenResult(
            req.key,
            text=text,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            finish_reason=choice.finish_reason or "",
        )


def _short(exc: Exception, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "..."
