"""The transformers backend: batched ``generate`` in this process (CPU tests, small models).

Prompts are sorted by length and left-padded into batches; a batch that raises is retried row by
row so only the offending row carries the error.
"""

from __future__ import annotations

import logging
from pathlib import Path

from skyray.eval.generate import BackendUnavailable, GenerationConfig, GenRequest, GenResult

logger = logging.getLogger(__name__)


class TransformersGenerator:
    name = "transformers"

    def __init__(self, cfg: GenerationConfig) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.cfg = cfg
        tcfg = cfg.transformers
        if tcfg.num_threads:
            torch.set_num_threads(tcfg.num_threads)
        local = Path(cfg.model)
        if cfg.model.startswith((".", "/")) and not local.is_dir():
            raise BackendUnavailable(f"model directory not found: {cfg.model}")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(cfg.model)
            self.model = AutoModelForCausalLM.from_pretrained(
                cfg.model, dtype=getattr(torch, tcfg.dtype)
            ).to(tcfg.device)
        except OSError as exc:
            raise BackendUnavailable(f"cannot load model {cfg.model!r}: {exc}") from None
        self.model.eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._torch = torch

    def close(self) -> None:
        self.model = None

    def generate(self, requests: list[GenRequest]) -> list[GenResult]:
        results: dict[int, GenResult] = {}
        runnable: list[tuple[int, list[int]]] = []
        for i, req in enumerate(requests):
            ids = self.tokenizer(req.prompt, add_special_tokens=True)["input_ids"]
            if len(ids) > self.cfg.max_prompt_tokens:
                results[i] = GenResult(
                    req.key,
                    error=f"prompt-too-long: {len(ids)} tokens > {self.cfg.max_prompt_tokens}",
                    prompt_tokens=len(ids),
                )
            else:
                runnable.append((i, ids))
        # one sample index per batch keeps seeded sampling reproducible batch by batch
        runnable.sort(key=lambda item: (requests[item[0]].sample_index, len(item[1])))
        size = self.cfg.transformers.batch_size
        for start in range(0, len(runnable), size):
            batch = runnable[start : start + size]
            try:
                outs = self._generate_batch([ids for _, ids in batch], requests[batch[0][0]])
            except Exception as exc:  # retry alone so only the failing row is marked
                logger.warning(
                    "batch failed (%s); retrying its %d rows one by one", exc, len(batch)
                )
                outs = []
                for _, ids in batch:
                    try:
                        outs.extend(self._generate_batch([ids], requests[batch[0][0]]))
                    except Exception as row_exc:
                        outs.append(("", 0, f"engine: {type(row_exc).__name__}: {row_exc}"))
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

    def _generate_batch(
        self, batch_ids: list[list[int]], first: GenRequest
    ) -> list[tuple[str, int, str]]:
        """(text, generated tokens, "stop" | "length") per row."""
        torch = self._torch
        sampling = self.cfg.sampling
        enc = self.tokenizer.pad({"input_ids": batch_ids}, return_tensors="pt")
        enc = {k: v.to(self.cfg.transformers.device) for k, v in enc.items()}
        kwargs = {
            "max_new_tokens": sampling.max_new_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.tokenizer.eos_token_id,
        }
        if sampling.temperature > 0:
            torch.manual_seed(sampling.seed + first.sample_index)
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        new = out[:, enc["input_ids"].shape[1] :].tolist()
        eos = self.tokenizer.eos_token_id
        decoded = []
        for tokens in new:
            stopped = eos in tokens
            if stopped:  # what follows the first EOS is padding
                tokens = tokens[: tokens.index(eos) + 1]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            decoded.append((text, len(tokens), "stop" if stopped else "length"))
        return decoded
