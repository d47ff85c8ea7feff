"""n-gram decontamination against the benchmark registry's test sets.

The index is built once from the benchmark side (question **and** solution of every item) and
shared read-only with every actor (its numpy arrays travel through the object store without
copies). A sample is contaminated when its question or response contains:

- any ``n`` consecutive normalised word tokens of a benchmark text (default n = 30), or
- a whole benchmark text shorter than ``n`` tokens but at least ``min_tokens`` long (found
  through its first ``min_tokens`` tokens, then checked in full), or
- exactly a benchmark text shorter than that (the whole question or response equals it).

Every candidate from the hash tables is confirmed token by token (64-bit token hashes), and every
hit names the benchmark item, the field it came from and the overlapping text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from skyray.curate.text import Tokens, gram_hashes, row_hashes, tokenize_batch

logger = logging.getLogger(__name__)
_BITMAP_BITS = 27  # 16 MiB prefilter: ~2% false positives at 2M entries, settled exactly after
_DETAIL_CHARS = 240


@dataclass
class BenchmarkText:
    benchmark: str  # registry name, e.g. "math-test"
    item_id: str  # Problem.id
    field: str  # "question" or "solution"
    text: str


@dataclass
class Hit:
    benchmark: str
    item_id: str
    field: str  # benchmark field that matched
    sample_field: str  # sample column that contained it
    num_tokens: int  # length of the overlapping run of tokens
    overlap: str  # the overlapping text (normalised tokens, shortened)

    def detail(self) -> str:
        return (
            f"{self.item_id} ({self.field}) in {self.sample_field}, "
            f"{self.num_tokens} tokens: {self.overlap!r}"
        )


@dataclass
class NgramIndex:
    n: int
    min_tokens: int
    labels: list[tuple[str, str, str]]  # per benchmark text: (benchmark, item id, field)
    token_hashes: np.ndarray  # uint64, every benchmark text's tokens back to back
    token_offsets: np.ndarray  # int64, texts + 1
    bitmap: np.ndarray  # uint8 bit set over the top bits of every indexed hash
    gram_keys: np.ndarray  # sorted uint64 n-gram hashes
    gram_text: np.ndarray  # int32 benchmark text of each key
    gram_first: np.ndarray  # int32 token offset of the n-gram inside that text
    anchor_keys: np.ndarray  # sorted min_tokens-gram hashes of texts shorter than n
    anchor_text: np.ndarray
    whole_keys: np.ndarray  # sorted whole-text hashes of texts shorter than min_tokens
    whole_text: np.ndarray

    @property
    def num_texts(self) -> int:
        return len(self.labels)

    def summary(self) -> dict[str, int]:
        return {
            "ngram": self.n,
            "min_tokens": self.min_tokens,
            "texts": self.num_texts,
            "ngrams": int(len(self.gram_keys)),
            "short_texts": int(len(self.anchor_keys)),
            "tiny_texts": int(len(self.whole_keys)),
        }


def benchmark_texts(names: list[str], data_dir: str | None = None) -> list[BenchmarkText]:
    """Question and solution of every item of the named registry benchmarks."""
    from skyray.data.benchmarks import load_benchmark

    texts = []
    for name in names:
        for problem in load_benchmark(name, data_dir):
            texts.append(BenchmarkText(name, problem.id, "question", problem.problem))
            if problem.solution.strip():
                texts.append(BenchmarkText(name, problem.id, "solution", problem.solution))
    return texts


def _sorted(keys: np.ndarray, *values: np.ndarray):
    order = np.argsort(keys, kind="stable")
    return (keys[order], *(v[order] for v in values))


def build_index(texts: list[BenchmarkText], n: int, min_tokens: int) -> NgramIndex:
    """Hash tables over the benchmark side (done once, then shared)."""
    tokens = tokenize_batch([t.text for t in texts])
    counts = tokens.counts()
    grams, first, rows = gram_hashes(tokens, n)
    first = first - tokens.row_offsets[:-1][rows]
    short = np.flatnonzero((counts >= min_tokens) & (counts < n))
    anchors, _, anchor_rows = gram_hashes(tokens, min_tokens)
    is_first = np.zeros(len(anchors), dtype=bool)
    if len(anchors):
        is_first[np.concatenate([[0], np.flatnonzero(np.diff(anchor_rows)) + 1])] = True
    keep = is_first & np.isin(anchor_rows, short)
    tiny = np.flatnonzero((counts > 0) & (counts < min_tokens))
    whole = row_hashes(tokens)[tiny]
    bitmap = np.zeros(1 << (_BITMAP_BITS - 3), dtype=np.uint8)
    for keys in (grams, anchors[keep]):
        _set_bits(bitmap, keys)
    gram_keys, gram_text, gram_first = _sorted(grams, rows.astype(np.int32), first.astype(np.int32))
    anchor_keys, anchor_text = _sorted(anchors[keep], anchor_rows[keep].astype(np.int32))
    whole_keys, whole_text = _sorted(whole, tiny.astype(np.int32))
    return NgramIndex(
        n=n,
        min_tokens=min_tokens,
        labels=[(t.benchmark, t.item_id, t.field) for t in texts],
        token_hashes=tokens.hashes,
        token_offsets=tokens.row_offsets,
        bitmap=bitmap,
        gram_keys=gram_keys,
        gram_text=gram_text,
        gram_first=gram_first,
        anchor_keys=anchor_keys,
        anchor_text=anchor_text,
        whole_keys=whole_keys,
        whole_text=whole_text,
    )


def _set_bits(bitmap: np.ndarray, keys: np.ndarray) -> None:
    idx = keys >> np.uint64(64 - _BITMAP_BITS)
    np.bitwise_or.at(
        bitmap, (idx >> np.uint64(3)).astype(np.int64), (1 << (idx & np.uint64(7))).astype(np.uint8)
    )


def _maybe(bitmap: np.ndarray, keys: np.ndarray) -> np.ndarray:
    idx = keys >> np.uint64(64 - _BITMAP_BITS)
    return (
        bitmap[(idx >> np.uint64(3)).astype(np.int64)] >> (idx & np.uint64(7)).astype(np.uint8)
    ) & 1 == 1


def _lookup(keys: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``keys``, first matching slot in ``table``) for keys present in table."""
    if not len(table) or not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    slot = np.searchsorted(table, keys)
    slot_c = np.minimum(slot, len(table) - 1)
    found = table[slot_c] == keys
    return np.flatnonzero(found), slot_c[found]


class Matcher:
    """Finds hits of a batch of sample texts against one index."""

    def __init__(self, index: NgramIndex):
        self.index = index

    def _item_hashes(self, text: int) -> np.ndarray:
        ix = self.index
        return ix.token_hashes[ix.token_offsets[text] : ix.token_offsets[text + 1]]

    def find(self, texts, field: str) -> list[list[Hit]]:
        """Hits per row of ``texts`` (a string column), at most one per benchmark item."""
        return self.find_tokens(tokenize_batch(texts), field)

    def find_tokens(self, tokens: Tokens, field: str) -> list[list[Hit]]:
        """Like :meth:`find` for texts already tokenised with :func:`tokenize_batch`."""
        ix = self.index
        hits: list[dict[tuple[str, str], Hit]] = [{} for _ in range(len(tokens))]
        self._seen: set[tuple[int, int]] = set()  # (row, benchmark text) already confirmed
        self._long(tokens, field, hits)
        if len(ix.anchor_keys):
            self._short(tokens, field, hits)
        if len(ix.whole_keys):
            self._tiny(tokens, field, hits)
        return [list(h.values()) for h in hits]

    def _long(self, tokens: Tokens, field: str, hits) -> None:
        ix = self.index
        grams, first, rows = gram_hashes(tokens, ix.n)
        maybe = np.flatnonzero(_maybe(ix.bitmap, grams))
        where, _ = _lookup(grams[maybe], ix.gram_keys)
        positions = maybe[where]
        # every benchmark text owning each matched n-gram (equal keys sit side by side) ...
        lo = np.searchsorted(ix.gram_keys, grams[positions], "left")
        hi = np.searchsorted(ix.gram_keys, grams[positions], "right")
        count = hi - lo
        owner = np.repeat(positions, count)
        slots = (
            np.repeat(lo, count)
            + np.arange(count.sum())
            - np.repeat(np.cumsum(count) - count, count)
        )
        # ... and each (row, benchmark text) confirmed once: a long overlap hits at every offset
        pair = rows[owner] * ix.num_texts + ix.gram_text[slots]
        _, once = np.unique(pair, return_index=True)
        for pos, slot in zip(owner[once], slots[once], strict=True):
            row, text = int(rows[pos]), int(ix.gram_text[slot])
            if (row, text) not in self._seen:
                self._confirm(
                    tokens, row, int(first[pos]), text, int(ix.gram_first[slot]), ix.n, field, hits
                )

    def _short(self, tokens: Tokens, field: str, hits) -> None:
        ix = self.index
        grams, first, rows = gram_hashes(tokens, ix.min_tokens)
        maybe = np.flatnonzero(_maybe(ix.bitmap, grams))
        where, slots = _lookup(grams[maybe], ix.anchor_keys)
        for pos, slot in zip(maybe[where], slots, strict=True):
            row = int(rows[pos])
            while slot < len(ix.anchor_keys) and ix.anchor_keys[slot] == grams[pos]:
                text = int(ix.anchor_text[slot])
                size = len(self._item_hashes(text))
                if (row, text) not in self._seen:
                    self._confirm(tokens, row, int(first[pos]), text, 0, size, field, hits)
                slot += 1

    def _tiny(self, tokens: Tokens, field: str, hits) -> None:
        ix = self.index
        whole = row_hashes(tokens)
        counts = tokens.counts()
        where, slots = _lookup(whole, ix.whole_keys)
        for row, slot in zip(where, slots, strict=True):
            row = int(row)
            while slot < len(ix.whole_keys) and ix.whole_keys[slot] == whole[row]:
                text = int(ix.whole_text[slot])
                size = len(self._item_hashes(text))
                if size == counts[row] and (row, text) not in self._seen:
                    self._confirm(
                        tokens, row, int(tokens.row_offsets[row]), text, 0, size, field, hits
                    )
                slot += 1

    def _confirm(self, tokens, row, start, text, item_start, size, field, hits) -> None:
        """Check the run token by token, grow it to the longest common run, record the hit."""
        item = self._item_hashes(text)
        row_end = int(tokens.row_offsets[row + 1])
        row_begin = int(tokens.row_offsets[row])
        if start + size > row_end or item_start + size > len(item):
            return
        if not np.array_equal(
            tokens.hashes[start : start + size], item[item_start : item_start + size]
        ):
            return
        self._seen.add((row, text))
        # grow the run to the longest common stretch (vectorised comparisons)
        back = min(start - row_begin, item_start)
        a = tokens.hashes[start - back : start][::-1] != item[item_start - back : item_start][::-1]
        grow_back = int(np.argmax(a)) if a.any() else back
        ahead = min(row_end - start - size, len(item) - item_start - size)
        b = (
            tokens.hashes[start + size : start + size + ahead]
            != item[item_start + size : item_start + size + ahead]
        )
        grow_ahead = int(np.argmax(b)) if b.any() else ahead
        lo, hi = start - grow_back, start + size + grow_ahead
        shown = min(hi, lo + _DETAIL_CHARS // 2)  # enough words for the detail text
        raw = bytes(tokens.data[tokens.starts[lo] : tokens.ends[shown - 1]])
        words = raw.replace(b"\0", b" ").decode("utf-8", "replace").split()
        overlap = " ".join(words)
        if len(overlap) > _DETAIL_CHARS:
            overlap = overlap[: _DETAIL_CHARS - 3] + "..."
        benchmark, item_id, item_field = self.index.labels[text]
        previous = hits[row].get((benchmark, item_id))
        if previous is None or hi - lo > previous.num_tokens:  # keep the longest overlap per item
            hits[row][(benchmark, item_id)] = Hit(
                benchmark, item_id, item_field, field, hi - lo, overlap
            )
