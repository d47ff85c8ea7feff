import numpy as np

from skyray.curate.minhash import (
    EMPTY,
    band_keys,
    candidate_probability,
    estimated_jaccard,
    shingle_hashes,
    signatures,
)
from skyray.curate.text import tokenize, tokenize_batch


def _sig(texts, num_perm=128, seed=1):
    tokens = tokenize_batch(texts)
    hashes, rows = shingle_hashes(tokens, 3)
    return signatures(hashes, rows, len(texts), num_perm, seed)


def _jaccard(a, b, k=3):
    ta, tb = tokenize(a), tokenize(b)
    sa = {tuple(ta[i : i + k]) for i in range(len(ta) - k + 1)}
    sb = {tuple(tb[i : i + k]) for i in range(len(tb) - k + 1)}
    return len(sa & sb) / len(sa | sb)


def test_estimates_track_exact_jaccard(workload):
    pairs = [(workload.rows[int(k[4:])], v) for k, v in list(workload.near_of.items())[:150]]
    by_id = {r["id"]: r for r in workload.rows}
    a = [r["question"] + " " + r["response"] for r, _ in pairs]
    b = [by_id[src]["question"] + " " + by_id[src]["response"] for _, src in pairs]
    est = estimated_jaccard(_sig(a), _sig(b))
    true = np.array([_jaccard(x, y) for x, y in zip(a, b, strict=True)])
    err = est - true
    assert abs(err.mean()) < 0.01  # unbiased
    assert err.std() < 0.05  # ~ sqrt(J(1-J)/128)


def test_signatures_are_deterministic_and_dense():
    texts = ["a b", "one two three four", "", "a b"]
    sig = _sig(texts)
    assert sig.shape == (4, 128)
    assert np.array_equal(sig[0], sig[3])
    assert not (sig[[0, 1, 3]] == EMPTY).any()  # densified even with one shingle
    assert (sig[2] == EMPTY).all()  # no tokens, no signature
    assert np.array_equal(_sig(texts[1:2]), sig[1:2])  # batch-independent
    assert not np.array_equal(_sig(texts, seed=2), sig)


def test_band_keys_collide_exactly_on_equal_bands():
    sig = _sig(
        ["x y z w v u t s r q", "x y z w v u t s r q", "completely different words here now"]
    )
    keys = band_keys(sig, 20, 6)
    assert keys.shape == (3, 20)
    assert np.array_equal(keys[0], keys[1])
    assert not np.isin(keys[2], keys[0]).any()
    assert len(set(keys[0].tolist())) == 20  # bands are salted by their index


def test_s_curve():
    p = candidate_probability(np.array([0.3, 0.6, 0.8, 0.9]), 20, 6)
    assert np.all(np.diff(p) > 0)
    assert p[2] > 0.997 and p[0] < 0.02
