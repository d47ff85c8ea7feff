"""Word tokens and vectorised 64-bit hashes shared by every curation stage.

One definition of a "word token" serves exact dedup, MinHash shingles and decontamination:
Unicode NFKC and lower case, then every ASCII character that is not a letter or a digit is a
separator (non-ASCII characters count as letters). ``"Let $x$ and  $Y$!"`` ->
``["let", "x", "and", "y"]``, so case, punctuation and whitespace variants collapse.

Everything runs over a whole batch at once: Arrow's buffers are read as bytes, mapped through a
256-entry table, cut into tokens and hashed with prefix sums in numpy (a polynomial over the
bytes, then a splitmix64 finaliser), so the cost per row stays small and does not depend on the
n-gram length. Nothing here uses Python's ``hash()``, which differs between processes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

_BYTE_BASE = 0x100000001B3  # odd: a unit modulo 2**64, so prefix sums can be "divided"
_GRAM_BASE = 0x9E3779B97F4A7C15
_SEP = 0  # byte value marking a separator after the table lookup
_POWERS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint8)
    for b in range(128):
        ch = chr(b)
        if not ch.isalnum():
            table[b] = _SEP
        elif ch.isupper():
            table[b] = ord(ch.lower())
    return table


_TABLE = _byte_table()


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Bijective 64-bit mixer (Steele et al.): spreads structured inputs over all bits."""
    with np.errstate(over="ignore"):
        x = np.asarray(x, dtype=np.uint64).copy()
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def powers(base: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(base**i, base**-i) modulo 2**64 for i < count, cached and grown by doubling."""
    cached = _POWERS.get(base)
    if cached is None or len(cached[0]) < count:
        size = max(1024, 1 << max(count - 1, 1).bit_length())
        with np.errstate(over="ignore"):
            fwd = np.full(size, base, dtype=np.uint64)
            fwd[0] = 1
            inv = np.full(size, pow(base, -1, 2**64), dtype=np.uint64)
            inv[0] = 1
            cached = (np.cumprod(fwd, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64))
        _POWERS[base] = cached
    return cached[0][:count], cached[1][:count]


def _window_sums(
    values: np.ndarray, base: int, starts: np.ndarray, ends: np.ndarray, rel: np.ndarray
) -> np.ndarray:
    """sum(values[s + j] * base**-j for j < e - s) mod 2**64 for each window (s, e), from one
    prefix sum. ``rel[i]`` is the position of ``values[i]`` inside its segment (token or row);
    windows never cross segments, so the power tables only need the longest segment."""
    fwd, inv = powers(base, int(rel.max()) + 1 if len(rel) else 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(values) + 1, dtype=np.uint64)
        np.cumsum(values * inv[rel], dtype=np.uint64, out=prefix[1:])
        rel_start = np.append(rel, 0)[starts]
        return (prefix[ends] - prefix[starts]) * fwd[rel_start]


def _positions_in_segments(offsets: np.ndarray, total: int) -> np.ndarray:
    """For segments ``offsets[k]:offsets[k+1]`` covering ``0:total``: each index's offset."""
    return np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], np.diff(offsets))


@dataclass
class Tokens:
    """Word tokens of a batch of texts: token ``t`` is ``data[starts[t]:ends[t]]``;
    row ``r`` owns tokens ``row_offsets[r]:row_offsets[r + 1]``; ``hashes`` are 64-bit."""

    data: np.ndarray  # uint8, lower-cased UTF-8 with separators set to 0
    starts: np.ndarray  # int64 byte offset of each token
    ends: np.ndarray  # int64 byte end of each token
    row_offsets: np.ndarray  # int64, rows + 1
    hashes: np.ndarray  # uint64 per token

    def __len__(self) -> int:
        return len(self.row_offsets) - 1

    def counts(self) -> np.ndarray:
        return np.diff(self.row_offsets)

    def row_tokens(self, row: int) -> list[str]:
        lo, hi = self.row_offsets[row], self.row_offsets[row + 1]
        return [
            bytes(self.data[s:e]).decode("utf-8", "replace")
            for s, e in zip(self.starts[lo:hi], self.ends[lo:hi], strict=True)
        ]


def tokenize_batch(texts) -> Tokens:
    """Tokens and token hashes of every text of a batch (Arrow or Python strings)."""
    data, offsets = _prepared(texts)
    mapped = _TABLE[data]
    is_tok = mapped != _SEP
    n = len(mapped)
    row_start = np.zeros(n + 1, dtype=bool)
    row_start[offsets] = True  # a row boundary always ends a token
    prev_sep = np.ones(n, dtype=bool)
    prev_sep[1:] = ~is_tok[:-1]
    next_sep = np.ones(n, dtype=bool)
    next_sep[:-1] = ~is_tok[1:]
    starts = np.flatnonzero(is_tok & (prev_sep | row_start[:n]))
    ends = np.flatnonzero(is_tok & (next_sep | row_start[1:])) + 1
    row_offsets = np.searchsorted(starts, offsets).astype(np.int64)
    # position of each byte inside its token (separator bytes are 0 and add nothing)
    marker = np.zeros(n, dtype=np.int64)
    marker[starts] = starts
    rel = np.arange(n, dtype=np.int64) - np.maximum.accumulate(marker)
    longest = int((ends - starts).max()) if len(starts) else 0
    np.minimum(rel, longest, out=rel)
    sums = _window_sums(mapped.astype(np.uint64), _BYTE_BASE, starts, ends, rel)
    with np.errstate(over="ignore"):
        sums += (ends - starts).astype(np.uint64) << np.uint64(56)
    return Tokens(mapped, starts, ends, row_offsets, splitmix64(sums))


def _prepared(texts) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    data, offsets = _raw_buffers(texts)
    if len(data) and data.max() >= 128:  # non-ASCII present: NFKC and Unicode lower case
        arr = pa.array(texts, pa.large_string()) if isinstance(texts, list) else texts
        arr = pc.utf8_lower(pc.utf8_normalize(pc.fill_null(arr, ""), form="NFKC"))
        data, offsets = _raw_buffers(arr)
    return data, offsets


def _raw_buffers(texts) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks() if texts.num_chunks else pa.array([], pa.string())
    arr = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    if len(arr) == 0:
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    return data[offsets[0] : offsets[-1]], offsets - offsets[0]


_TOKEN_RE = re.compile("[a-z0-9\u0080-\U0010ffff]+")


def tokenize(text: str) -> list[str]:
    """Normalised word tokens of one string: the rule of :func:`tokenize_batch` in plain Python
    (a test checks that the two agree), fast for single strings."""
    if not text:
        return []
    text = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
    return _TOKEN_RE.findall(text)


def normalize(text: str) -> str:
    """Tokens joined by single spaces."""
    return " ".join(tokenize(text))


def gram_hashes(tokens: Tokens, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of every run of ``n`` consecutive tokens inside one row.

    Returns (hashes uint64, first token index, row index) for the n-grams that do not cross a
    row boundary; order-sensitive ("a b" and "b a" differ)."""
    counts = tokens.counts()
    num_grams = np.maximum(counts - n + 1, 0)
    row_of = np.repeat(np.arange(len(counts), dtype=np.int64), num_grams)
    first = np.arange(len(row_of), dtype=np.int64)
    if len(row_of):
        cum = np.concatenate([[0], np.cumsum(num_grams)[:-1]])
        first = first - cum[row_of] + tokens.row_offsets[:-1][row_of]
    rel = _positions_in_segments(tokens.row_offsets, len(tokens.hashes))
    sums = _window_sums(tokens.hashes, _GRAM_BASE, first, first + n, rel)
    with np.errstate(over="ignore"):
        sums ^= np.uint64(n) << np.uint64(48)
    return splitmix64(sums), first, row_of


def row_hashes(tokens: Tokens) -> np.ndarray:
    """One 64-bit hash per row of its whole token sequence (the exact-dedup key)."""
    rel = _positions_in_segments(tokens.row_offsets, len(tokens.hashes))
    starts, ends = tokens.row_offsets[:-1], tokens.row_offsets[1:]
    sums = _window_sums(tokens.hashes, _GRAM_BASE, starts, ends, rel)
    with np.errstate(over="ignore"):
        sums += tokens.counts().astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93)
    return splitmix64(sums)
