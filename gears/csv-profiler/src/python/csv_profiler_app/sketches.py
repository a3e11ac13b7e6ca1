"""Bounded-memory streaming summaries, so that profiling a table of any length keeps peak memory
bounded by the settings and the number of columns, never by the file size.

Once exact distinct counting stops at `max_exact_distinct` values per column, a HyperLogLog sketch
estimates the distinct count (the Misra-Gries summary of the top values is a pruning of the column's
own value counts, so it stays with them in `columns._Column`). Numeric columns keep streaming moments
and a reservoir of at most `sample_size` values, from which quantiles and histograms come, and
correlations keep six numbers per pair of columns.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable, Sequence
from hashlib import blake2b
from operator import mul
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from csv_profiler_app.columns import _Column

_HLL_BITS = 12


class HyperLogLog:
    """Approximate distinct counter: 2**bits one-byte registers, about 1.04/sqrt(2**bits) error.

    Uses an unkeyed 64-bit BLAKE2b hash so that estimates are the same on every run and machine
    (Python's own `hash` of a str is salted per process).
    """

    def __init__(self, bits: int = _HLL_BITS) -> None:
        self.bits = bits
        self.registers = bytearray(1 << bits)

    def add_many(self, values: Iterable[str]) -> None:
        registers, shift = self.registers, 64 - self.bits
        low_mask = (1 << shift) - 1
        from_bytes = int.from_bytes
        for value in values:
            h = from_bytes(blake2b(value.encode(), digest_size=8).digest(), "big")
            # rank = 1-based position of the first 1 bit after the register index bits.
            rank = shift + 1 - (h & low_mask).bit_length()
            index = h >> shift
            if rank > registers[index]:  # -- a max() call costs more in this loop
                registers[index] = rank

    def estimate(self) -> float:
        return hll_estimate(self.registers)


def hll_estimate(registers: bytes | bytearray) -> float:
    """The HyperLogLog estimate from one-byte registers (shared with the batched engine's sketch,
    which fills its registers from another 64-bit hash)."""
    m = len(registers)
    alpha = 0.7213 / (1 + 1.079 / m)
    raw = alpha * m * m / math.fsum(2.0**-r for r in registers)
    zeros = registers.count(0)
    if raw <= 2.5 * m and zeros:
        return m * math.log(m / zeros)  # linear counting is more accurate for small counts
    return raw  # with a 64-bit hash no large-range correction is needed


class Moments:
    """Count, mean and the sums of squared and cubed deviations (M2, M3) of a stream of numbers,
    merged block by block (Chan et al.; Terriberry's M3 term), plus min and max: enough for the
    mean, standard deviation and skewness without keeping the values, in either engine."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.m3 = 0.0
        self.lo: Any = math.inf  # an int in integer columns: exact beyond 2**53
        self.hi: Any = -math.inf

    def merge(self, n: int, mean: float, m2: float, m3: float, lo: Any, hi: Any) -> None:
        if self.n == 0:
            self.n, self.mean, self.m2, self.m3 = n, mean, m2, m3
        else:
            n0 = self.n
            total = n0 + n
            delta = mean - self.mean
            # M3's cross term needs both halves' M2 before they are merged.
            self.m3 += (
                m3 + delta**3 * n0 * n * (n0 - n) / (total * total) + 3.0 * delta * (n0 * m2 - n * self.m2) / total
            )
            self.mean += delta * n / total
            self.m2 += m2 + delta * delta * n0 * n / total
            self.n = total
        self.lo = min(self.lo, lo)
        self.hi = max(self.hi, hi)


class SampledMoments(Protocol):
    """What a numeric column's summary reads: moments, extremes and a uniform sample of at most
    `k` of the `seen` values (all of them when seen <= k). Both engines' numeric states have it."""

    n: int
    mean: float
    m2: float
    m3: float
    lo: Any
    hi: Any
    k: int
    seen: int

    @property
    def reservoir(self) -> Sequence[float]: ...


class _Numeric(Moments):
    """Streaming moments (see `Moments`) and a uniform reservoir sample (Vitter/Li's Algorithm L:
    O(k log(n/k)) random draws in total)."""

    def __init__(self, sample_size: int, seed: int) -> None:
        super().__init__()
        self.k = sample_size
        self.reservoir = array("d")  # 8 bytes per value, not a 32-byte Python float
        self.seen = 0
        self.rng = random.Random(seed)
        self.w = 1.0
        self.next_pick = 1 << 62  # index (among all values) of the next value to enter the sample

    def sample(self, xs: Sequence[float]) -> None:
        """Offer the next `len(xs)` values. Algorithm L draws how many values to skip before the
        next replacement, so the cost is per replacement (about k*ln(n/k) in all), not per value;
        the loop is inlined because with k = 100,000 it still runs hundreds of thousands of times."""
        start, n, k = self.seen, len(xs), self.k
        reservoir = self.reservoir
        end = start + n
        self.seen = end
        pick = self.next_pick
        if start < k:
            take = min(k - start, n)
            reservoir.extend(map(float, xs[:take]))
            if start + take < k:
                return
            pick = k - 1  # the sample is full: draw the first skip
        elif pick >= end:
            return
        rand, log, exp, log1p, floor, inv_k = self.rng.random, math.log, math.exp, math.log1p, math.floor, 1.0 / k
        w = self.w
        while True:
            if pick >= k:  # not the initial k - 1 placeholder
                reservoir[int(rand() * k)] = xs[pick - start]
            # 1 - random() lies in (0, 1], so its log is finite.
            w *= exp(log(1.0 - rand()) * inv_k)
            pick += 1 + (0 if w >= 1.0 else floor(log(1.0 - rand()) / log1p(-w)))
            if pick >= end:
                break
        self.w, self.next_pick = w, pick


class _Part:
    """One numeric column's values in one block, centred on the block mean and aligned to rows
    (0.0 where missing, with `mask` 1.0/0.0), ready for the correlation update."""

    __slots__ = ("centred", "index", "mask", "mean", "n", "squares", "total", "total_sq")

    def __init__(
        self,
        index: int,
        centred: list[float],
        squares: list[float],
        mask: list[float] | None,
        n: int,
        mean: float,
        total_sq: float,
    ) -> None:
        self.index, self.centred, self.squares, self.mask = index, centred, squares, mask
        self.n, self.mean, self.total, self.total_sq = n, mean, sum(centred), total_sq


class _Correlation:
    """Pairwise-complete Pearson correlation, streamed: per pair n, means, sums of squared
    deviations and the co-moment, merged block by block with Chan's formulas (which stay accurate
    where raw sums of squares would cancel catastrophically)."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[int, int], list[float]] = {}

    def update(self, parts: list[_Part]) -> None:
        for a_pos, a in enumerate(parts):
            for b in parts[a_pos + 1 :]:
                self._update_pair(a, b)

    def _update_pair(self, a: _Part, b: _Part) -> None:
        ma, mb = a.mask, b.mask
        if ma is None and mb is None:
            n = a.n
            sx, sxx, sy, syy = a.total, a.total_sq, b.total, b.total_sq
        elif mb is None:
            assert ma is not None
            n = a.n
            sx, sxx = a.total, a.total_sq
            sy, syy = sum(map(mul, b.centred, ma)), sum(map(mul, b.squares, ma))
        elif ma is None:
            n = b.n
            sx, sxx = sum(map(mul, a.centred, mb)), sum(map(mul, a.squares, mb))
            sy, syy = b.total, b.total_sq
        else:
            n = round(sum(map(mul, ma, mb)))
            if n == 0:
                return
            sx, sxx = sum(map(mul, a.centred, mb)), sum(map(mul, a.squares, mb))
            sy, syy = sum(map(mul, b.centred, ma)), sum(map(mul, b.squares, ma))
        sxy = sum(map(mul, a.centred, b.centred))  # zeros at missing cells drop those rows
        self.merge_sums((a.index, b.index), n, a.mean, b.mean, (sx, sxx, sy, syy, sxy))

    def merge_sums(
        self, key: tuple[int, int], n: int, mean_a: float, mean_b: float, sums: tuple[float, float, float, float, float]
    ) -> None:
        """Merge one block of a pair: its `n` complete rows' sums of deviations from the two
        columns' block means (x, x², y, y², xy). The batched engine computes the sums its own way."""
        sx, sxx, sy, syy, sxy = sums
        mean_x, mean_y = mean_a + sx / n, mean_b + sy / n
        var_x, var_y = _deviation(sxx, sx, n), _deviation(syy, sy, n)
        co = sxy - sx * sy / n
        state = self.pairs.get(key)
        if state is None:
            self.pairs[key] = [n, mean_x, mean_y, var_x, var_y, co]
            return
        n0, mx0, my0 = state[0], state[1], state[2]
        total = n0 + n
        dx, dy = mean_x - mx0, mean_y - my0
        w = n0 * n / total
        state[0] = total
        state[1] = mx0 + dx * n / total
        state[2] = my0 + dy * n / total
        state[3] += var_x + dx * dx * w
        state[4] += var_y + dy * dy * w
        state[5] += co + dx * dy * w

    def result(self, columns: list[_Column]) -> dict[str, Any]:
        numeric = [c for c in columns if c.kind in ("integer", "float")]
        matrix: list[list[float | None]] = []
        counts: list[list[int]] = []
        for a in numeric:
            row: list[float | None] = []
            row_n: list[int] = []
            for b in numeric:
                if a.index == b.index:
                    stats = a.numeric
                    n = stats.n if stats is not None else 0
                    defined = stats is not None and n >= 2 and stats.m2 > 0 and stats.lo != stats.hi
                    row.append(1.0 if defined else None)
                    row_n.append(n)
                    continue
                key = (a.index, b.index) if a.index < b.index else (b.index, a.index)
                state = self.pairs.get(key)
                if state is None:
                    row.append(None)
                    row_n.append(0)
                    continue
                n, var_x, var_y, co = int(state[0]), state[3], state[4], state[5]
                r = co / math.sqrt(var_x * var_y) if n >= 2 and var_x > 0 and var_y > 0 else None
                row.append(None if r is None or not math.isfinite(r) else max(-1.0, min(1.0, r)))
                row_n.append(n)
            matrix.append(row)
            counts.append(row_n)
        return {"method": "pearson", "columns": [c.name for c in numeric], "matrix": matrix, "n": counts}


def _deviation(sum_sq: float, total: float, n: int) -> float:
    """Sum of squared deviations from the subset mean, given sums about a nearby centre; a result
    lost in rounding noise (a constant subset) is exactly zero, never a tiny positive."""
    value = sum_sq - total * total / n
    return value if value > sum_sq * 1e-12 else 0.0
