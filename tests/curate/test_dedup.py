"""Near-dedup quality against exact Jaccard ground truth, and the dedup building blocks."""

import re

import numpy as np
import pyarrow.parquet as pq
import pytest

from skyray.curate.config import CurateConfig, DecontamConfig, FormatConfig
from skyray.curate.dedup import _pairs_from_sorted, components, unique_pairs
from skyray.curate.run import curate
from skyray.curate.text import tokenize

LINK = re.compile(r"^(?:exact|near) duplicate of (\S+)")
PARTNER = re.compile(r"(?:exact duplicate of|est\. Jaccard [0-9.]+ with) (\S+?)(?: \(|$)")


def test_components_and_candidate_pairs():
    labels = components(6, np.array([[4, 5], [1, 2], [2, 4]]))
    assert labels.tolist() == [0, 1, 1, 3, 1, 1]
    keys = np.array([1, 1, 1, 2, 3, 3], dtype=np.uint64)
    pos = np.array([10, 11, 12, 13, 14, 15])
    pairs = unique_pairs(_pairs_from_sorted(keys, pos, max_bucket=10))
    assert pairs.tolist() == [[10, 11], [10, 12], [11, 12], [14, 15]]
    capped = unique_pairs(_pairs_from_sorted(keys, pos, max_bucket=2))
    assert capped.tolist() == [[10, 11], [10, 12], [11, 12], [14, 15]]  # neighbours + first


def _exact_jaccard(texts: list[str], k: int) -> np.ndarray:
    from scipy import sparse

    vocab: dict[tuple, int] = {}
    rows, cols = [], []
    for r, text in enumerate(texts):
        t = tokenize(text)
        grams = {tuple(t[i : i + k]) for i in range(len(t) - k + 1)} or {tuple(t)}
        for g in grams:
            rows.append(r)
            cols.append(vocab.setdefault(g, len(vocab)))
    x = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(texts), len(vocab))
    )
    inter = (x @ x.T).toarray()
    size = np.asarray(x.sum(axis=1)).ravel()
    return inter / (size[:, None] + size[None, :] - inter)


@pytest.fixture(scope="module")
def dedup_run(workload, tmp_path_factory):
    out = tmp_path_factory.mktemp("dedup")
    cfg = CurateConfig(
        engine="local",
        decontam=DecontamConfig(enabled=False),
        format=FormatConfig(check_answer=False),
        chunk_mb=0.5,
    )
    path = workload.write_jsonl(out / "in.jsonl")
    report = curate(cfg, [path], out / "curated")
    kept = pq.read_table(out / "curated" / "kept").column("id").to_pylist()
    dropped = pq.read_table(out / "curated" / "dropped").to_pylist()
    return report, kept, dropped


def test_near_dedup_recall_and_precision_against_exact_jaccard(workload, dedup_run):
    report, kept, dropped = dedup_run
    dedup_rows = {d["id"]: d for d in dropped if d["drop_reason"].startswith("dedup:")}
    assert not [d for d in dropped if not d["drop_reason"].startswith("dedup:")]  # all well-formed
    parent = {i: LINK.match(d["drop_detail"]).group(1) for i, d in dedup_rows.items()}

    def rep(i):
        while i in parent:
            i = parent[i]
        return i

    ids = kept + list(dedup_rows)
    by_id = {r["id"]: r for r in workload.rows}
    texts = [by_id[i]["question"] + " " + by_id[i]["response"] for i in ids]
    jac = _exact_jaccard(texts, 3)
    a, b = np.nonzero(np.triu(jac >= 0.8, k=1))
    reps = np.array([rep(i) for i in ids])
    recall = float(np.mean(reps[a] == reps[b]))
    index = {i: n for n, i in enumerate(ids)}
    claimed = [
        (index[i], index[PARTNER.search(d["drop_detail"]).group(1)]) for i, d in dedup_rows.items()
    ]
    precision = float(np.mean([jac[x, y] >= 0.8 for x, y in claimed]))
    same = np.triu(reps[:, None] == reps[None, :], k=1)
    cluster_precision = float(np.mean(jac[same] >= 0.8))
    print(
        f"\nnear-dedup on {len(ids)} rows: {len(a)} pairs with J>=0.8, recall {recall:.4f}, "
        f"precision (claimed pairs) {precision:.4f} of {len(claimed)}, "
        f"same-cluster pairs with J>=0.8 {cluster_precision:.4f}; {report['near_dedup']}"
    )
    assert len(a) > 300
    assert recall >= 0.98
    assert precision >= 0.99


def test_case_and_whitespace_variants_always_collapse(workload, dedup_run):
    _, kept, dropped = dedup_run
    kept = set(kept)
    reasons = {d["id"]: d["drop_reason"] for d in dropped}
    assert len(workload.exact_of) > 50
    for copy, source in workload.exact_of.items():
        assert not (copy in kept and source in kept)
        assert reasons.get(copy, reasons.get(source)) in ("dedup:exact", "dedup:near")
