"""The one in-process transformers backend: a local causal LM (CPU tests, small models).

:class:`TransformersModel` loads a model once and generates for token-id batches (left-padded,
cut at the first EOS). Two faces over that one core:

- the :class:`~skyray.llm.backends.Backend` protocol (``complete``/``chat``, one request at a
  time under a lock: what a CPU replica can do; scale with Ray Serve replicas). ``temperature``
  absent means 1.0 like OpenAI, 0 is greedy; ``max_tokens`` defaults to 256; ``seed`` (default
  0) makes sampling reproducible; ``stop`` cuts the text. ``chat`` uses the tokenizer's chat
  template when it has one, else the message contents joined by blank lines;
- :class:`TransformersGenerator`, evaluation's row generator: prompts sorted by length into
  batches of ``transformers.batch_size``; prompts over ``max_prompt_tokens`` fail their row; a
  batch that raises is retried row by row so only the offending row carries the error.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from skyray.llm.backends import Result, apply_stop
from skyray.llm.generation import BackendUnavailable, GenerationConfig, GenRequest, GenResult

logger = logging.getLogger(__name__)


class TransformersModel:
    def __init__(
        self,
        model: str,
        model_name: str = "",
        *,
        dtype: str = "float32",
        device: str = "cpu",
        num_threads: int = 0,  # torch intra-op threads (0 = leave torch's default)
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if num_threads:
            torch.set_num_threads(num_threads)
        if model.startswith((".", "/")) and not Path(model).is_dir():
            raise BackendUnavailable(f"model directory not found: {model}")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
            self.model = AutoModelForCausalLM.from_pretrained(
                model, dtype=getattr(torch, dtype)
            ).to(device)
        except OSError as exc:
            raise BackendUnavailable(f"cannot load model {model!r}: {exc}") from None
        self.model.eval()
        self.model_name = model_name or Path(model.rstrip("/")).name
        self.device = device
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._torch = torch
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg) -> TransformersModel:
        """A serving replica's model (``cfg``: a ServeConfig): one thread per replica."""
        if not Path(cfg.model_path).exists():
            raise FileNotFoundError(f"model path not found: {cfg.model_path}")
        return cls(cfg.model_path, model_name=cfg.served_model_name, num_threads=1)

    def close(self) -> None:
        self.model = None

    # ----- the core: token ids in, (new token ids, stopped at EOS) out ------------------------
    def generate_ids(
        self,
        batch_ids: list[list[int]],
        max_tokens: int,
        temperature: float,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> list[tuple[list[int], bool]]:
        torch = self._torch
        enc = self.tokenizer.pad({"input_ids": batch_ids}, return_tensors="pt")
        enc = {k: v.to(self.device) for k, v in enc.items()}
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
        }
        if temperature > 0:
            torch.manual_seed(seed)
            kwargs.update(do_sample=True, temperature=temperature, top_p=top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        eos = self.tokenizer.eos_token_id
        rows = []
        for tokens in out[:, enc["input_ids"].shape[1] :].tolist():
            stopped = eos in tokens
            if stopped:  # what follows the first EOS is padding
                tokens = tokens[: tokens.index(eos) + 1]
            rows.append((tokens, stopped))
        return rows

    def decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    # ----- the Backend protocol -------------------------------------------------------------
    def chat(self, messages: list[dict[str, str]], sampling: dict[str, Any]) -> Result:
        if not messages:
            raise ValueError("messages must not be empty")
        if getattr(self.tokenizer, "chat_template", None):
            prompt = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        else:
            prompt = "\n\n".join(m.get("content", "") for m in messages)
        return self.complete(prompt, sampling)

    def complete(self, prompt: str, sampling: dict[str, Any]) -> Result:
        sampling = sampling or {}
        max_tokens = int(sampling.get("max_tokens") or 256)
        if max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        ids = self.tokenizer(prompt)["input_ids"]
        with self._lock:
            ((tokens, hit_eos),) = self.generate_ids(
                [ids],
                max_tokens,
                float(sampling.get("temperature", 1.0)),
                float(sampling.get("top_p") or 1.0),
                int(sampling.get("seed") or 0),
            )
        text, stopped = apply_stop(self.decode(tokens), sampling.get("stop"))
        finish = "stop" if stopped or hit_eos or len(tokens) < max_tokens else "length"
        return Result(text, len(ids), len(tokens), finish)


class TransformersGenerator:
    """Evaluation rows (:class:`GenRequest`) through a :class:`TransformersModel`."""

    name = "transformers"

    def __init__(self, cfg: GenerationConfig) -> None:
        t = cfg.transformers
        self.cfg = cfg
        self.lm = TransformersModel(
            cfg.model, dtype=t.dtype, device=t.device, num_threads=t.num_threads
        )

    def close(self) -> None:
        self.lm.close()

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        results: dict[int, GenResult] = {}
        runnable: list[tuple[int, list[int]]] = []
        limit = self.cfg.max_prompt_tokens
        for i, req in enumerate(requests):
            ids = self.lm.tokenizer(req.prompt, add_special_tokens=True)["input_ids"]
            if len(ids) > limit:
                error = f"prompt-too-long: {len(ids)} tokens > {limit}"
                results[i] = GenResult(req.key, error=error, prompt_tokens=len(ids))
            else:
                runnable.append((i, ids))
        # one sample index per batch keeps seeded sampling reproducible batch by batch
        runnable.sort(key=lambda item: (requests[item[0]].sample_index, len(item[1])))
        size = self.cfg.transformers.batch_size
        for start in range(0, len(runnable), size):
            batch = runnable[start : start + size]
            first = requests[batch[0][0]]
            try:
                outs = self._batch([ids for _, ids in batch], first)
            except Exception as exc:  # retry alone so only the failing row is marked
                logger.warning(
                    "batch failed (%s); retrying its %d rows one by one", exc, len(batch)
                )
                outs = [self._alone(ids, first) for _, ids in batch]
            for (i, ids), (text, n_out, status) in zip(batch, outs, strict=True):
                failed = status.startswith("engine:")
                results[i] = GenResult(
                    requests[i].key,
                    text=text,
                    error=status if failed else None,
                    prompt_tokens=len(ids),
                    completion_tokens=n_out,
                    finish_reason="" if failed else status,
                )
        return [results[i] for i in range(len(requests))]

    def _alone(self, ids: list[int], first: GenRequest) -> tuple[str, int, str]:
        try:
            return self._batch([ids], first)[0]
        except Exception as exc:
            return "", 0, f"engine: {type(exc).__name__}: {exc}"

    def _batch(self, batch_ids: list[list[int]], first: GenRequest) -> list[tuple[str, int, str]]:
        """(text, generated tokens, "stop" | "length") per row."""
        s = self.cfg.sampling
        rows = self.lm.generate_ids(
            batch_ids, s.max_tokens, s.temperature, s.top_p, s.seed + first.sample_index
        )
        return [
            (self.lm.decode(tokens), len(tokens), "stop" if stopped else "length")
            for tokens, stopped in rows
        ]
