"""Duplicate rows: how many data rows repeat an earlier row exactly, from 64-bit row hashes.

A row's hash stands for the row (equal rows have equal hashes; two different rows share one with
probability 2**-64 per pair, about 1e-5 in all at the 20 million kept hashes below). Up to
`max_kept` hashes are kept in 8 bytes each, so the count is exact (`exact: true`) for files of up
to about that many distinct rows. Beyond, the sketch keeps only the rows whose hash has its
`level` lowest bits zero (adaptive hash sampling: a row and all its repeats are kept or dropped
together) and scales the repeats among them by 2**level, an unbiased estimate (`exact: false`).

Hashes are filed in 64 partitions (by their top bits) as unsorted chunks, and sorted and
deduplicated one partition at a time (at the end, or when the memory bound is reached): the
transient memory of sorting is a 64th of the kept hashes, not twice them, and partitions can be
sorted on all cores at once. Both engines use this class; each hashes rows its own way (the counts
agree while exact). numpy only: the streaming engine must not need polars.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from hashlib import blake2b
from typing import Any

import numpy as np

MAX_KEPT_ROWS = 20_000_000  # 160 MB of hashes at most
_PARTITION_BITS = 6
_PARTITIONS = 1 << _PARTITION_BITS
_PENDING = 1 << 17  # hashes buffered before they are filed (the streaming engine adds small blocks)
_FIELD_SEP = "\x1f"


class _Partition:
    """Sorted distinct hashes with their multiplicities (once compacted), plus unsorted chunks."""

    __slots__ = ("chunks", "keys", "mults", "pending")

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint64)
        self.mults = np.empty(0, dtype=np.int64)
        self.chunks: list[np.ndarray] = []
        self.pending = 0

    def size(self) -> int:
        return len(self.keys) + self.pending

    def sort_chunks(self) -> np.ndarray:
        """The chunks as one sorted array (which replaces them)."""
        tail = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0] if self.chunks else self.keys[:0]
        tail.sort()
        self.chunks = [tail] if len(tail) else []
        return tail

    def distinct_bound(self) -> int:
        """At least as many as the distinct hashes held (the chunks' against the keys unchecked)."""
        tail = self.sort_chunks()
        return len(self.keys) + (int(np.count_nonzero(tail[1:] != tail[:-1])) + 1 if len(tail) else 0)

    def compact(self) -> None:
        """Merge the chunks into the sorted distinct keys, counting repeats."""
        if not self.chunks:
            return
        tail = self.sort_chunks()
        self.chunks, self.pending = [], 0
        starts = np.flatnonzero(np.concatenate(([True], tail[1:] != tail[:-1])))
        distinct = tail[starts]
        counts = np.diff(np.append(starts, len(tail))).astype(np.int64)
        del tail
        if not len(self.keys):
            self.keys, self.mults = distinct, counts
            return
        at = np.searchsorted(self.keys, distinct)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == distinct[found]
        np.add.at(self.mults, at[found], counts[found])
        new = ~found
        self.keys = np.insert(self.keys, at[new], distinct[new])
        self.mults = np.insert(self.mults, at[new], counts[new])

    def repeats(self) -> int:
        """Kept rows that repeat an earlier kept row. Consumes the partition: its memory is
        returned as soon as it is counted (all partitions at once would need twice as much)."""
        if len(self.keys):
            self.compact()
            repeats = int(self.mults.sum()) - len(self.keys)
        else:  # never compacted: count the distinct hashes of one sorted array, no multiplicities
            tail = self.sort_chunks()
            repeats = len(tail) - (int(np.count_nonzero(tail[1:] != tail[:-1])) + 1 if len(tail) else 0)
        self.keys, self.mults, self.chunks, self.pending = self.keys[:0], self.mults[:0], [], 0
        return repeats

    def keep(self, level: int) -> None:
        """Only the hashes whose `level` lowest bits are zero."""
        mask = np.uint64((1 << level) - 1)
        kept = (self.keys & mask) == 0
        self.keys, self.mults = self.keys[kept], self.mults[kept]
        self.chunks = [chunk[(chunk & mask) == 0] for chunk in self.chunks]
        self.pending = sum(len(chunk) for chunk in self.chunks)


class RowDuplicates:
    """Counts data rows that repeat an earlier row; exact up to `max_kept` distinct rows."""

    def __init__(self, max_kept: int = MAX_KEPT_ROWS) -> None:
        self.max_kept = max_kept
        self.level = 0  # rows are kept when their hash's `level` lowest bits are zero
        self.rows = 0
        self._partitions = [_Partition() for _ in range(_PARTITIONS)]
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self._kept = 0  # hashes held in the partitions (distinct ones once compacted)

    def add(self, hashes: np.ndarray) -> None:
        """Take the 64-bit hashes (uint64) of the next data rows."""
        self.rows += len(hashes)
        self._pending.append(hashes)
        self._pending_rows += len(hashes)
        if self._pending_rows >= _PENDING:
            self._flush()

    def _flush(self) -> None:
        """File the pending hashes into their partitions: a counting sort by their top bits."""
        if not self._pending:
            return
        hashes = np.concatenate(self._pending).astype(np.uint64, copy=False)
        self._pending, self._pending_rows = [], 0
        if self.level:
            hashes = hashes[(hashes & np.uint64((1 << self.level) - 1)) == 0]
        part = (hashes >> np.uint64(64 - _PARTITION_BITS)).astype(np.uint8)
        grouped = hashes[np.argsort(part, kind="stable")]  # a counting sort for one-byte keys
        bounds = np.concatenate(([0], np.cumsum(np.bincount(part, minlength=_PARTITIONS))))
        for index, partition in enumerate(self._partitions):
            lo, hi = int(bounds[index]), int(bounds[index + 1])
            if hi > lo:  # copies, so that each partition's memory is its own to return
                partition.chunks.append(grouped[lo:hi].copy())
                partition.pending += hi - lo
        self._kept += len(hashes)
        if self._kept > self.max_kept:
            self._make_room()

    def _make_room(self) -> None:
        """Sample the hash space ever more sparsely (each step keeps about half) until the
        distinct hashes fill at most half the bound, then deduplicate. Sampling comes first, on the
        sorted chunks (8 bytes a hash), so that the multiplicities (8 more per distinct hash) are
        never needed for more than half the bound."""
        while sum(p.distinct_bound() for p in self._partitions) > self.max_kept // 2:
            self.level += 1
            for partition in self._partitions:
                partition.keep(self.level)
        for partition in self._partitions:
            partition.compact()
        self._kept = sum(p.size() for p in self._partitions)

    def result(self) -> dict[str, Any]:
        """{"count": repeated rows, "exact": bool}; the count is estimated once sampling started.
        The partitions are sorted in parallel (numpy releases the GIL while it sorts). Call once:
        counting consumes the kept hashes."""
        self._flush()
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            repeats = sum(pool.map(_Partition.repeats, self._partitions))
        if self.level == 0:
            return {"count": repeats, "exact": True}
        return {"count": min(self.rows, repeats << self.level), "exact": False}


def row_hashes(rows: Sequence[Sequence[str]]) -> np.ndarray:
    """64-bit BLAKE2b hashes (uint64) of parsed rows, for the streaming engine.

    A row is hashed as its fields joined by U+001F; a row with U+001F inside a field is hashed as
    ncols U+001F characters followed by its repr (which escapes them), so that no two different
    rows of the same width are hashed from the same text."""
    digests: list[bytes] = []
    append = digests.append
    for row in rows:
        text = _FIELD_SEP.join(row)
        if text.count(_FIELD_SEP) != len(row) - 1:
            text = _FIELD_SEP * len(row) + repr(list(row))
        append(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest())
    return np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64)
