"""MinHash signatures of word shingles, LSH band keys and Jaccard estimates (pure numpy).

The engine is one-permutation MinHash (Li, Owen & Zhang 2012) with optimal densification
(Shrivastava 2017): each shingle is hashed once, falls into one of ``num_perm`` bins and the
bin keeps its minimum; an empty bin borrows the value of the first non-empty bin along a fixed
pseudo-random probe sequence, the same for every row, so two rows agree on a bin with
probability equal to their Jaccard similarity, as with ``num_perm`` independent permutations.
It costs O(shingles) per row instead of O(shingles x num_perm); ``bench/curate_throughput.py``
compares it with datasketch, rensa and a classic k-permutation numpy engine.
"""

from __future__ import annotations

import numpy as np

from skyray.curate.text import Tokens, gram_hashes, row_hashes, splitmix64

EMPTY = np.uint32(0xFFFFFFFF)  # a bin no shingle reached (only rows without tokens keep it)
_MAX_PROBES = 256


def shingle_hashes(tokens: Tokens, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, row) of every word ``size``-gram; a row shorter than ``size`` tokens gets its
    whole token sequence as its one shingle, an empty row gets none."""
    hashes, _, rows = gram_hashes(tokens, size)
    counts = tokens.counts()
    short = np.flatnonzero((counts > 0) & (counts < size))
    if len(short):
        whole = row_hashes(tokens)[short]
        hashes = np.concatenate([hashes, whole])
        rows = np.concatenate([rows, short])
    return hashes, rows


def _probe_table(num_perm: int, seed: int) -> np.ndarray:
    """probe[k, i]: the bin that empty bin ``i`` looks at on its k-th try (same for all rows)."""
    keys = np.arange(_MAX_PROBES * num_perm, dtype=np.uint64) + np.uint64(seed) * np.uint64(1 << 32)
    return (
        (splitmix64(keys ^ np.uint64(0xA5A5A5A5)) % np.uint64(num_perm))
        .astype(np.int64)
        .reshape(_MAX_PROBES, num_perm)
    )


_PROBES: dict[tuple[int, int], np.ndarray] = {}


def signatures(
    hashes: np.ndarray, rows: np.ndarray, num_rows: int, num_perm: int, seed: int
) -> np.ndarray:
    """(num_rows, num_perm) uint32 signatures from shingle hashes grouped by ``rows``."""
    x = splitmix64(hashes ^ np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64))
    bins = ((x >> np.uint64(32)) % np.uint64(num_perm)).astype(np.int64)
    values = (x & np.uint64(0xFFFFFFFE)).astype(np.uint32)  # EMPTY never occurs as a value
    sig = np.full(num_rows * num_perm, EMPTY, dtype=np.uint32)
    np.minimum.at(sig, rows * num_perm + bins, values)
    sig = sig.reshape(num_rows, num_perm)
    return densify(sig, seed)


def densify(sig: np.ndarray, seed: int) -> np.ndarray:
    """Fill empty bins from the first non-empty bin of their probe sequence (in place)."""
    num_perm = sig.shape[1]
    empty = sig == EMPTY
    if not empty.any():
        return sig
    probes = _PROBES.get((num_perm, seed))
    if probes is None:
        probes = _PROBES[(num_perm, seed)] = _probe_table(num_perm, seed)
    source = sig.copy()
    filled = ~empty
    for k in range(_MAX_PROBES):
        todo = empty & ~filled
        if not todo.any():
            break
        r, i = np.nonzero(todo)
        j = probes[k, i]
        ok = source[r, j] != EMPTY
        sig[r[ok], i[ok]] = source[r[ok], j[ok]]
        filled[r[ok], i[ok]] = True
    # rows with very few shingles can exhaust the probes: fall back to the next non-empty bin
    # to the right (rotation densification), which is just as consistent across rows
    for shift in range(1, num_perm):
        todo = empty & ~filled
        if not todo.any():
            break
        r, i = np.nonzero(todo)
        j = (i + shift) % num_perm
        ok = source[r, j] != EMPTY
        sig[r[ok], i[ok]] = source[r[ok], j[ok]]
        filled[r[ok], i[ok]] = True
    return sig


def band_keys(sig: np.ndarray, bands: int, rows_per_band: int) -> np.ndarray:
    """(num_rows, bands) uint64 bucket keys: a hash of each band's slice, salted by its index."""
    n = sig.shape[0]
    used = sig[:, : bands * rows_per_band].astype(np.uint64).reshape(n, bands, rows_per_band)
    acc = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows_per_band):
            acc = splitmix64(acc * np.uint64(0x100000001B3) + used[:, :, r])
        acc ^= np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return splitmix64(acc)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal bins between signature rows ``a[i]`` and ``b[i]``."""
    return (a == b).mean(axis=-1)


def candidate_probability(jaccard: float | np.ndarray, bands: int, rows_per_band: int):
    """The LSH S-curve: chance that a pair of similarity ``jaccard`` shares at least one band."""
    return 1.0 - (1.0 - np.asarray(jaccard, dtype=float) ** rows_per_band) ** bands


def s_curve_threshold(bands: int, rows_per_band: int) -> float:
    """Where the S-curve is steepest, about (1/bands) ** (1/rows_per_band)."""
    return (1.0 / bands) ** (1.0 / rows_per_band)
