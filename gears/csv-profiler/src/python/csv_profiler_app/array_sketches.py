"""The batched engine's bounded-memory summaries, fed whole numpy arrays per block: the same
HyperLogLog registers and estimate as `sketches.HyperLogLog` (from polars' 64-bit value hashes
instead of BLAKE2b); the reference's Misra-Gries summary of the top values, keyed by those hashes;
and streamed moments (`sketches.Moments`) with a uniform sample of at most k values for quantiles
and histograms (reservoir sampling, Algorithm R, decided per block in arrays).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import polars as pl

from csv_profiler_app.sketches import HyperLogLog, Moments

VALUE_SEED = 0x5EED  # polars' hash is stable within a polars version: estimates repeat run to run


class HashedHyperLogLog(HyperLogLog):
    """`HyperLogLog`'s registers and estimate, updated from an array of 64-bit hashes at once."""

    def __init__(self) -> None:
        super().__init__()
        self._view = np.frombuffer(self.registers, dtype=np.uint8)  # writes go to the bytearray
        self._shift = np.uint64(64 - self.bits)
        self._low = np.uint64((1 << (64 - self.bits)) - 1)

    def add_hashes(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        index = (hashes >> self._shift).astype(np.intp)
        # The bits after the index are below 2**52, where float64 is exact: frexp's exponent is
        # their bit length. The rank is as in HyperLogLog.add_many.
        _, bit_length = np.frexp((hashes & self._low).astype(np.float64))
        rank = (64 - self.bits + 1 - bit_length).astype(np.uint8)
        np.maximum.at(self._view, index, rank)


class SampledMoments(Moments):
    """`Moments` and a uniform sample of at most k values (`sketches.SampledMoments`).

    Algorithm R: the t-th value enters with probability k/t and replaces a uniformly chosen one.
    Per block, the values that enter are drawn by thinning, without a uniform per value: candidates
    at the block's highest rate k/t0 (a Bernoulli process, drawn as geometric gaps), each kept
    with probability (k/t)/(k/t0); where a slot is chosen twice in a block, the later value wins,
    as in the sequential algorithm. The cost follows the values that enter (about k*ln(n/k) in
    all), not n."""

    def __init__(self, sample_size: int, seed: int) -> None:
        super().__init__()
        self.k = sample_size
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._values = np.empty(0)

    @property
    def reservoir(self) -> list[float]:
        values: list[float] = self._values.tolist()
        return values

    def sample(self, xs: np.ndarray) -> None:
        start, k, rng = self.seen, self.k, self._rng
        self.seen += len(xs)
        if start < k:
            head = xs[: k - start]
            self._values = np.concatenate((self._values, head))
            xs = xs[len(head) :]
            start += len(head)
        m = len(xs)
        if not m:
            return
        top = k / (start + 1)  # the rate of the block's first value, the highest
        at = _bernoulli_positions(rng, m, top)
        enter = at[rng.random(len(at)) * top * (start + 1 + at) < k]  # kept with rate (k/t) / top
        if not len(enter):
            return
        slots = rng.integers(0, k, size=len(enter))
        # The last value drawn for each slot: unique over the reversed draws finds first occurrences.
        _, last = np.unique(slots[::-1], return_index=True)
        chosen = len(slots) - 1 - last
        self._values[slots[chosen]] = xs[enter[chosen]]


def _bernoulli_positions(rng: np.random.Generator, m: int, rate: float) -> np.ndarray:
    """The positions among m of successes at `rate` each, independently: the gaps between
    successes are geometric, so only as many draws as successes (plus a margin) are made."""
    if rate >= 0.25:  # dense: one uniform per position is cheaper
        return np.flatnonzero(rng.random(m) < rate)
    found: list[np.ndarray] = []
    end = -1
    while end < m - 1:
        expected = (m - 1 - end) * rate
        gaps = rng.geometric(rate, size=int(expected + 4 * expected**0.5 + 16))
        positions = end + np.cumsum(gaps)
        found.append(positions[positions < m])
        end = int(positions[-1])
    return np.concatenate(found)


class MisraGries:
    """The reference's Misra-Gries summary (`_Column._shrink`: subtract the (k+1)-th largest
    count, drop what reaches zero), kept as arrays keyed by the values' 64-bit hashes so that a
    block's distinct values are matched and pruned in whole arrays; the values' text is fetched
    only for those that stay."""

    def __init__(self, counts: Counter[str]) -> None:
        values = list(counts)
        hashes = pl.Series(values, dtype=pl.String).hash(seed=VALUE_SEED).to_numpy()
        order = np.argsort(hashes)
        self.hashes = hashes[order]
        self.tallies = np.fromiter(counts.values(), dtype=np.int64, count=len(values))[order]
        self.values = np.array(values, dtype=object)[order]

    def add(self, hashes: np.ndarray, tallies: np.ndarray, text: Callable[[np.ndarray], list[str]], k: int) -> int:
        """Add a block's distinct values (hashes, counts; `text` gives the text of some hashes,
        in their order); return the undercount added."""
        tallies = tallies.astype(np.int64)
        known = np.zeros(len(hashes), dtype=bool)
        if len(self.hashes):
            known = pl.Series(hashes).is_in(pl.Series(self.hashes).implode()).to_numpy()
        if known.any():
            at = np.searchsorted(self.hashes, hashes[known])
            np.add.at(self.tallies, at, tallies[known])
        fresh = ~known
        new_tallies = tallies[fresh]
        threshold = 0
        if len(self.tallies) + len(new_tallies) > k:
            threshold = _kth_largest(np.concatenate((self.tallies, new_tallies)), k + 1)
        kept = self.tallies > threshold
        rising = new_tallies > threshold
        risen = np.sort(hashes[fresh][rising])
        new_values = np.array(text(risen), dtype=object) if len(risen) else self.values[:0]
        hashes_all = np.concatenate((self.hashes[kept], risen))
        tallies_all = (
            np.concatenate((self.tallies[kept], new_tallies[rising][np.argsort(hashes[fresh][rising])])) - threshold
        )
        order = np.argsort(hashes_all, kind="stable")
        self.hashes, self.tallies = hashes_all[order], tallies_all[order]
        self.values = np.concatenate((self.values[kept], new_values))[order]
        return threshold

    def counts(self) -> Counter[str]:
        return Counter(dict(zip(self.values.tolist(), self.tallies.tolist(), strict=True)))


_SMALL_COUNTS = 1024


def _kth_largest(values: np.ndarray, rank: int) -> int:
    """The `rank`-th largest of non-negative integers (rank <= len): a count of each small value
    (a block's counts are mostly 1, 2, 3), a partial sort only among the large ones."""
    histogram = np.bincount(np.minimum(values, _SMALL_COUNTS))
    large = int(histogram[-1]) if len(histogram) > _SMALL_COUNTS else 0
    if large >= rank:
        big = values[values >= _SMALL_COUNTS]
        return int(np.partition(big, len(big) - rank)[len(big) - rank])
    at_least = np.cumsum(histogram[:_SMALL_COUNTS][::-1]) + large  # at_least[j]: values >= (top - j)
    top = min(len(histogram), _SMALL_COUNTS) - 1
    return top - int(np.searchsorted(at_least, rank))
