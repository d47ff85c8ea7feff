"""Verifier scoring of (question, response) pairs (the paper's section 4.3.3, Table 4).

Two scorers, one output: a ``verifier_score`` in [0, 1] per pair (None when it failed, with the
reason in ``verifier_error``) and ``verifier_label`` (score >= threshold).

- ``judge``: an LLM-as-judge prompt sent through any generation backend (an OpenAI-compatible
  endpoint such as ``skyray serve`` replicas, in-process vLLM, or transformers); the reply's first
  word (Yes/No) is the verdict.
- ``logprob``: a (fine-tuned) causal LM verifier run locally with transformers; the score is
  P(Yes) / (P(Yes) + P(No)) for the next token after the same prompt.

:func:`score_pairs` is the pure core; :class:`VerifierStage` wraps it for Ray Data
``map_batches``; :func:`select_by_verifier` picks the verified subset and a random subset of the
same size to compare against (Table 4), with the level mix of each (the paper found that a
verifier mostly keeps easy problems).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from skyray.config import require
from skyray.llm.config import SamplingConfig
from skyray.llm.generation import GenerationConfig, GenRequest

JUDGE_PROMPT = (
    "Below is a math problem and a proposed solution. Decide whether the solution's reasoning "
    "and final answer are both correct.\n\n### Problem:\n{question}\n\n### Solution:\n{response}"
    "\n\nIs the solution correct? Answer with one word, Yes or No.\n\n### Verdict:"
)
_VERDICT_RE = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
_JUDGE_RE = re.compile(
    re.escape(JUDGE_PROMPT)
    .replace(re.escape("{question}"), "(?P<question>.*)", 1)
    .replace(re.escape("{response}"), "(?P<response>.*)", 1)
    + r"\s*\Z",
    re.DOTALL,
)


def _judge_generation() -> GenerationConfig:
    return GenerationConfig(
        backend="openai", sampling=SamplingConfig(max_tokens=8), max_prompt_tokens=4096
    )


@dataclass(kw_only=True)
class VerifierConfig:
    method: str = "judge"  # "judge" (any generation backend) or "logprob" (local transformers)
    generation: GenerationConfig = field(default_factory=_judge_generation)  # the judge / model
    question_field: str = "question"  # input column with the problem
    response_field: str = "response"  # input column with the solution to verify
    threshold: float = 0.5  # verifier_label = score >= threshold
    num_select: int = 0  # keep the top-N by score (0 = every row with label True)
    seed: int = 0  # seed of the random baseline selection
    batch_size: int = 16  # rows per scorer call / Ray Data batch

    def __post_init__(self) -> None:
        require(self.method in ("judge", "logprob"), f"method must be judge|logprob: {self.method}")
        require(0 <= self.threshold <= 1, f"threshold must be in [0, 1], got {self.threshold}")
        require(self.num_select >= 0, "num_select must be >= 0")
        require(self.batch_size >= 1, "batch_size must be >= 1")
        require(
            self.method == "judge" or self.generation.backend == "transformers",
            "method=logprob runs a local model: set generation.backend=transformers",
        )


def judge_prompt(question: str, response: str) -> str:
    return JUDGE_PROMPT.format(question=question.strip(), response=response.strip())


def parse_judge_prompt(prompt: str) -> tuple[str, str] | None:
    """(question, response) of a :func:`judge_prompt`, else None (how a judge reads it)."""
    found = _JUDGE_RE.match(prompt or "")
    return (found.group("question"), found.group("response")) if found else None


def parse_verdict(text: str) -> float | None:
    """1.0 for Yes, 0.0 for No, None when the reply starts with neither."""
    match = _VERDICT_RE.match(text or "")
    if not match:
        return None
    return 1.0 if match.group(1).lower() == "yes" else 0.0


@dataclass
class Verdict:
    score: float | None
    error: str | None = None


class JudgeScorer:
    """LLM-as-judge through a generation backend."""

    def __init__(self, cfg: VerifierConfig) -> None:
        from skyray.llm.generation import make_generator

        self.generator = make_generator(cfg.generation)

    def __call__(self, pairs: list[tuple[str, str]]) -> list[Verdict]:
        requests = [GenRequest(str(i), judge_prompt(q, r)) for i, (q, r) in enumerate(pairs)]
        out = []
        for res in self.generator.generate(requests):
            if res.error:
                out.append(Verdict(None, res.error))
                continue
            score = parse_verdict(res.text)
            out.append(Verdict(score, None if score is not None else "parse: no Yes/No verdict"))
        return out

    def close(self) -> None:
        self.generator.close()


class LogprobScorer:
    """P(" Yes") vs P(" No") as the continuation of the judge prompt, from a local (fine-tuned)
    verifier model: score = P(Yes) / (P(Yes) + P(No)), each the product over its tokens."""

    def __init__(self, cfg: VerifierConfig) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.cfg = cfg
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(cfg.generation.model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(cfg.generation.model).eval()
        self.answers = [self.tokenizer.encode(w, add_special_tokens=False) for w in (" Yes", " No")]
        require(self.answers[0] != self.answers[1], "the verifier's tokenizer merges Yes and No")

    def _continuation_logprobs(self, prompt_ids: list[list[int]], cont: list[int]) -> list[float]:
        torch = self.torch
        enc = self.tokenizer.pad({"input_ids": [p + cont for p in prompt_ids]}, return_tensors="pt")
        with torch.inference_mode():
            logits = self.model(**enc).logits[:, -len(cont) - 1 : -1, :].float()
        logp = torch.log_softmax(logits, dim=-1)
        target = torch.tensor(cont).unsqueeze(0).expand(len(prompt_ids), -1)
        return logp.gather(-1, target.unsqueeze(-1)).squeeze(-1).sum(-1).tolist()

    def __call__(self, pairs: list[tuple[str, str]]) -> list[Verdict]:
        import math

        limit = self.cfg.generation.max_prompt_tokens
        out: list[Verdict | None] = []
        ids: dict[int, list[int]] = {}
        for i, (q, r) in enumerate(pairs):
            prompt_ids = self.tokenizer(judge_prompt(q, r))["input_ids"]
            if len(prompt_ids) > limit:
                out.append(Verdict(None, f"prompt-too-long: {len(prompt_ids)} tokens > {limit}"))
            else:
                out.append(None)
                ids[i] = prompt_ids
        todo = list(ids)
        for start in range(0, len(todo), self.cfg.batch_size):
            idx = todo[start : start + self.cfg.batch_size]
            batch = [ids[i] for i in idx]
            yes, no = (self._continuation_logprobs(batch, cont) for cont in self.answers)
            for i, ly, ln in zip(idx, yes, no, strict=True):
                out[i] = Verdict(1.0 / (1.0 + math.exp(ln - ly)))
        assert all(v is not None for v in out)
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self.model = None


def make_scorer(cfg: VerifierConfig):
    return JudgeScorer(cfg) if cfg.method == "judge" else LogprobScorer(cfg)


def verify_rows(
    rows: list[dict[str, Any]], cfg: VerifierConfig, scorer=None
) -> list[dict[str, Any]]:
    """Each row plus ``verifier_score``, ``verifier_label`` and ``verifier_error``."""
    own = scorer is None
    scorer = scorer or make_scorer(cfg)
    try:
        out = []
        for start in range(0, len(rows), cfg.batch_size):
            batch = rows[start : start + cfg.batch_size]
            pairs = [_pair(r, cfg) for r in batch]
            for row, v in zip(batch, scorer(pairs), strict=True):
                out.append(
                    {
                        **row,
                        "verifier_score": v.score,
                        "verifier_label": v.score is not None and v.score >= cfg.threshold,
                        "verifier_error": v.error,
                    }
                )
        return out
    finally:
        if own:
            scorer.close()


def _pair(row: dict[str, Any], cfg: VerifierConfig) -> tuple[str, str]:
    for key in (cfg.question_field, cfg.response_field):
        if key not in row:
            raise ValueError(f"verifier input row has no column {key!r} (columns: {sorted(row)})")
    return str(row[cfg.question_field] or ""), str(row[cfg.response_field] or "")


class VerifierStage:
    """Ray Data ``map_batches`` callable: loads the scorer once per actor, scores each batch."""

    def __init__(self, cfg: VerifierConfig) -> None:
        self.cfg = cfg
        self.scorer = make_scorer(cfg)

    def __call__(self, batch):  # a pandas DataFrame
        rows = verify_rows(batch.to_dict("records"), self.cfg, self.scorer)
        import pandas as pd

        return pd.DataFrame(rows)


def verify_dataset(ds, cfg: VerifierConfig, num_cpus: float = 0.5):
    """Attach verifier columns to a Ray Dataset (one scoring actor, fractional CPU so the read
    tasks still get scheduled on a small cluster)."""
    return ds.map_batches(
        VerifierStage,
        fn_constructor_kwargs={"cfg": cfg},
        batch_size=cfg.batch_size,
        batch_format="pandas",
        concurrency=1,
        num_cpus=num_cpus,
    )


def select_by_verifier(
    rows: list[dict[str, Any]], cfg: VerifierConfig
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(verifier selection, random selection of the same size, stats) over scored rows."""
    scored = [r for r in rows if _has_score(r)]
    if cfg.num_select:
        ranked = sorted(scored, key=lambda r: (-r["verifier_score"], str(r.get("id", ""))))
        chosen = ranked[: cfg.num_select]
    else:
        chosen = [r for r in scored if r["verifier_label"]]
    rng = random.Random(cfg.seed)
    baseline = rng.sample(rows, min(len(chosen), len(rows)))
    stats = {
        "rows": len(rows),
        "scored": len(scored),
        "failed": len(rows) - len(scored),
        "failed_by_reason": dict(
            Counter(
                str(r.get("verifier_error")).split(":", 1)[0] for r in rows if not _has_score(r)
            )
        ),
        "selected": len(chosen),
        "verifier": _mix(chosen),
        "random": _mix(baseline),
    }
    return chosen, baseline, stats


def _has_score(row: dict[str, Any]) -> bool:
    score = row.get("verifier_score")
    return score is not None and score == score  # NaN (a None through pandas) is no score


def _mix(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Level distribution and mean score of a selection (selection bias shows up here)."""
    levels = [r["level"] for r in rows if r.get("level") is not None and r["level"] == r["level"]]
    scores = [r["verifier_score"] for r in rows if _has_score(r)]
    return {
        "n": len(rows),
        "mean_level": sum(levels) / len(levels) if levels else None,
        "levels": dict(sorted(Counter(str(lv) for lv in levels).items())),
        "mean_score": sum(scores) / len(scores) if scores else None,
    }
