"""A local causal LM (``transformers``) on CPU as a generation backend.

- ``complete(prompt)``: the prompt is tokenised as is and continued;
- ``chat(messages)``: the tokenizer's chat template when it has one, else the message contents
  joined by blank lines (base models, the tiny test model).

Sampling: ``temperature`` 0 (or absent: default 1.0 like OpenAI) -> sampling with that
temperature, 0 -> greedy; ``top_p``; ``max_tokens`` (default 256); ``seed`` makes sampling
reproducible (default 0, so the same request gives the same text); ``stop`` cuts the text.
Generation runs under a lock: one request at a time per backend (a replica), which is what a CPU
can do anyway; scale with Ray Serve replicas.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from skyray.serve.backends import Result, apply_stop


class TransformersBackend:
    def __init__(self, model_path: str, model_name: str = "", num_threads: int = 1) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not Path(model_path).exists():
            raise FileNotFoundError(f"model path not found: {model_path}")
        torch.set_num_threads(num_threads)
        self.model_name = model_name or Path(model_path).name
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForCausalLM.from_pretrained(model_path)
        self.model.eval()
        self._lock = threading.Lock()

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
        import torch

        temperature = float(sampling.get("temperature", 1.0) if sampling else 1.0)
        max_tokens = int(sampling.get("max_tokens") or 256)
        if max_tokens < 1:
            raise ValueError("max_tokens must be >= 1")
        inputs = self.tokenizer(prompt, return_tensors="pt")
        n_prompt = int(inputs["input_ids"].shape[1])
        kwargs: dict[str, Any] = {"max_new_tokens": max_tokens, "do_sample": temperature > 0}
        if temperature > 0:
            kwargs["temperature"] = temperature
            kwargs["top_p"] = float(sampling.get("top_p") or 1.0)
        with self._lock, torch.no_grad():
            torch.manual_seed(int(sampling.get("seed") or 0))
            output = self.model.generate(
                **inputs, pad_token_id=self.tokenizer.pad_token_id, **kwargs
            )
        new_ids = output[0, n_prompt:]
        text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        text, stopped = apply_stop(text, sampling.get("stop"))
        hit_eos = len(new_ids) > 0 and int(new_ids[-1]) == self.tokenizer.eos_token_id
        finish = "stop" if stopped or hit_eos or len(new_ids) < max_tokens else "length"
        return Result(text, n_prompt, int(len(new_ids)), finish)
