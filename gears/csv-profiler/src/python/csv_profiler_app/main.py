"""Profile a delimited text table: per-column types, missing values, distinct counts, summary
statistics, histograms, top values and pairwise correlations, plus a JSON and HTML report.

The file is read once, as a stream, in blocks of rows that are transposed into columns, so that
the per-value work runs in C (`map`, `sum`, `Counter.update`) rather than in a Python loop per
cell. Peak memory is bounded by the settings and the number of columns, never by the file size:
exact distinct counting stops at `max_exact_distinct` values per column (then a HyperLogLog sketch
and a Misra-Gries summary take over), quantiles and histograms come from a reservoir of at most
`sample_size` values per numeric column, and correlations keep six numbers per pair of columns.
Knows nothing of Flywheel.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import random
import re
import tempfile
from array import array
from base64 import b64encode
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from hashlib import blake2b
from itertools import compress, islice, pairwise, product, repeat
from operator import mul, not_, sub
from pathlib import Path
from typing import Any

from polygear.errors import InputError
from polygear.tabular import not_utf8_error, resolve_delimiter

TYPES = ("integer", "float", "boolean", "date", "string")
QUANTILES = (("p05", 0.05), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p95", 0.95))
# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)

# Missing: empty, or one of these tokens in any letter case, ignoring surrounding whitespace.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none"})
# Every letter-case spelling, so the common (unpadded) case is one set lookup per cell.
_MISS_EXACT = frozenset(
    "".join(chars) for token in MISSING_TOKENS for chars in product(*({c.lower(), c.upper()} for c in token))
)
# Deliberately not 0/1 (a 0/1 column stays integer, which keeps its mean and correlations) and not
# t/f or y/n (a column of sex codes "M"/"F" that happens to hold only "F" must not become boolean).
BOOLEAN_TOKENS = frozenset({"true", "false", "yes", "no"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SEP = "\x1f"  # joins a block's values so that whole-block checks run as single C-level scans
_WHITESPACE = (" ", "\t", "\n", "\r", "\f", "\v")
# Squares and cross products of larger magnitudes overflow a float; such columns are not profiled
# as numbers (they are identifiers or corrupt values far more often than measurements).
_MAX_MAGNITUDE = 1e150
_CELLS_PER_BLOCK = 131_072
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
            if rank > registers[index]:  # noqa: PLR1730 -- a max() call costs more in this loop
                registers[index] = rank

    def estimate(self) -> float:
        m = len(self.registers)
        alpha = 0.7213 / (1 + 1.079 / m)
        raw = alpha * m * m / math.fsum(2.0**-r for r in self.registers)
        zeros = self.registers.count(0)
        if raw <= 2.5 * m and zeros:
            return m * math.log(m / zeros)  # linear counting is more accurate for small counts
        return raw  # with a 64-bit hash no large-range correction is needed


class _Numeric:
    """Streaming moments (Welford, merged per block with Chan's formula), min/max, and a uniform
    reservoir sample (Vitter/Li's Algorithm L: O(k log(n/k)) random draws in total)."""

    def __init__(self, sample_size: int, seed: int) -> None:
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.lo: float = math.inf
        self.hi: float = -math.inf
        self.k = sample_size
        self.reservoir = array("d")  # 8 bytes per value, not a 32-byte Python float
        self.seen = 0
        self.rng = random.Random(seed)
        self.w = 1.0
        self.next_pick = 1 << 62  # index (among all values) of the next value to enter the sample

    def merge(self, n: int, mean: float, m2: float, lo: float, hi: float) -> None:
        if self.n == 0:
            self.n, self.mean, self.m2 = n, mean, m2
        else:
            total = self.n + n
            delta = mean - self.mean
            self.mean += delta * n / total
            self.m2 += m2 + delta * delta * self.n * n / total
            self.n = total
        self.lo = min(self.lo, lo)
        self.hi = max(self.hi, hi)

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


class _Column:
    def __init__(self, index: int, name: str, max_exact: int, sample_size: int) -> None:
        self.index = index
        self.name = name
        self.kind: str | None = None  # None until the first non-missing value
        self.missing = 0
        self.count = 0
        self.max_exact = max_exact
        self.sample_size = sample_size
        # Exact value counts while distinct <= max_exact; afterwards a Misra-Gries summary.
        self.counts: Counter[str] = Counter()
        self.hll: HyperLogLog | None = None
        self.distinct_floor = 0  # distinct values known when exact counting stopped
        self.undercount = 0  # Misra-Gries: every summary count is at most this much too low
        self.numeric: _Numeric | None = None
        self.first: str | None = None  # date min/max (ISO strings sort chronologically)
        self.last: str | None = None

    def feed(self, values: tuple[str, ...], aligned: bool) -> _Part | None:
        """Take one block of this column's cells; return a `_Part` when the column is numeric and
        the caller wants correlation input (`aligned`)."""
        kind, size = self.kind, len(values)
        if kind == "string" and self.hll is None:
            # Text, counted exactly: the cheapest path of all. Missing tokens are counted like
            # values and moved to `missing` once, from the counts (see _drop_missing_values).
            self.count += size
            self.counts.update(values)
            if len(self.counts) > self.max_exact:
                self._start_sketches()
            return None
        flags: list[bool] | None = None  # per cell: missing?  None when no cell is
        present: Sequence[str] = values
        if not _MISS_EXACT.isdisjoint(values):
            flags = list(map(_MISS_EXACT.__contains__, values))
            present = list(compress(values, map(not_, flags)))
        joined = _SEP.join(present)
        if _has_padding(joined):  # rare: " NA " and friends need the slow, exact test
            flags = [v.strip().lower() in MISSING_TOKENS for v in values]
            present = list(compress(values, map(not_, flags)))
            joined = _SEP.join(present)
        n = len(present)
        self.missing += size - n
        if not n:
            return None
        self.count += n
        self._tally(present)
        if kind == "string":
            return None
        parsed: tuple[list[Any], Any, Any] | None = None
        if kind is None or kind == "integer":
            parsed = _parse_numbers(present, joined, int)
            if parsed is not None:
                self.kind = "integer"
        if parsed is None and kind in (None, "integer", "float"):
            parsed = _parse_numbers(present, joined, float)
            if parsed is not None:
                self.kind = "float"
        if parsed is not None:
            return self._numbers(parsed, flags if n < size else None, aligned)
        if kind in (None, "boolean") and {v.strip().lower() for v in set(present)} <= BOOLEAN_TOKENS:
            self.kind = "boolean"
            return None
        if kind in (None, "date") and _all_dates(present):
            self.kind = "date"
            lo, hi = min(present), max(present)
            self.first = lo if self.first is None else min(self.first, lo)
            self.last = hi if self.last is None else max(self.last, hi)
            return None
        self.kind = "string"  # types only widen, so a column never leaves "string"
        self.numeric = None
        self.first = self.last = None
        return None

    def _numbers(self, parsed: tuple[list[Any], Any, Any], flags: list[bool] | None, aligned: bool) -> _Part | None:
        xs, lo, hi = parsed
        n = len(xs)
        if lo == hi:  # exact zeros, so that a constant column has exactly zero variance
            mean = float(lo)
            centred = [0.0] * n
        else:
            mean = math.fsum(xs) / n
            centred = list(map(sub, xs, repeat(mean)))
        if self.numeric is None:
            self.numeric = _Numeric(self.sample_size, seed=0x5EED + self.index)
        self.numeric.sample(xs)
        mask: list[float] | None = None
        if aligned and flags is not None:
            # Re-insert the missing cells as 0.0 (they then drop out of every sum of products);
            # a Python step per missing cell, C copies for the runs of present ones between.
            mask = [1.0] * len(flags)
            spread: list[float] = []
            taken = 0
            previous = 0
            for position in compress(range(len(flags)), flags):
                mask[position] = 0.0
                run = position - previous
                spread += centred[taken : taken + run]
                spread.append(0.0)
                taken += run
                previous = position + 1
            spread += centred[taken:]
            centred = spread
        squares = list(map(mul, centred, centred))
        m2 = sum(squares)  # all terms >= 0: no cancellation, plain summation is accurate
        self.numeric.merge(n, mean, m2, lo, hi)
        return _Part(self.index, centred, squares, mask, n, mean, m2) if aligned else None

    def _tally(self, present: Sequence[str]) -> None:
        if self.hll is None:
            self.counts.update(present)
            if len(self.counts) > self.max_exact:
                self._start_sketches()
            return
        block = Counter(present)
        table = self.counts
        # A value still in the summary was hashed when it entered it: hashing is idempotent.
        self.hll.add_many([v for v in block if v not in table])
        table.update(block)
        if len(table) > self.max_exact:
            self._shrink()

    def _start_sketches(self) -> None:
        self._drop_missing_values()
        self.distinct_floor = len(self.counts)
        if self.distinct_floor <= self.max_exact:
            return
        self.hll = HyperLogLog()
        self.hll.add_many(self.counts)
        self._shrink()

    def _shrink(self) -> None:
        """Misra-Gries (mergeable form): subtract the (k+1)-th largest count from every count and
        drop those left at zero, so at most k values remain; each subtraction is an error bound."""
        threshold = sorted(self.counts.values(), reverse=True)[self.max_exact]
        self.undercount += threshold
        self.counts = Counter({v: c - threshold for v, c in self.counts.items() if c > threshold})

    def _drop_missing_values(self) -> None:
        """Exactly counted text columns skip the missing test per cell: move "", "NA", " n/a "
        and the like from the counts to the missing tally once, here (O(distinct), not O(cells))."""
        for value in [v for v in self.counts if v.strip().lower() in MISSING_TOKENS]:
            c = self.counts.pop(value)
            self.missing += c
            self.count -= c

    def result(self, top_n: int, bins: int) -> dict[str, Any]:
        if self.hll is None:
            self._drop_missing_values()
        kind = self.kind or "string"  # all cells missing: nothing narrower can be claimed
        counts = self.counts
        if kind == "boolean":
            canonical: Counter[str] = Counter()
            for value, c in counts.items():
                canonical[value.strip().lower()] += c
            counts = canonical
        exact = self.hll is None
        distinct = len(counts) if self.hll is None else max(self.distinct_floor, round(self.hll.estimate()))
        out: dict[str, Any] = {
            "name": self.name,
            "type": kind,
            "non_missing": self.count,
            "missing": self.missing,
            "distinct": distinct,
            "distinct_exact": exact,
        }
        if kind in ("integer", "float") and self.numeric is not None:
            out.update(_numeric_summary(self.numeric, kind, bins))
            return out
        if kind == "date":
            out["min"], out["max"] = self.first, self.last
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if not exact:  # below the error bound a count cannot be told from noise
            ranked = [(v, c) for v, c in ranked if c > self.undercount]
        out["top"] = [{"value": v, "count": c} for v, c in ranked[:top_n]]
        out["top_exact"] = exact
        out["top_count_error"] = self.undercount
        return out


def _has_padding(joined: str) -> bool:
    """Does any value in the block start or end with whitespace? A few C-level scans."""
    for ws in _WHITESPACE:
        if ws in joined and (ws + _SEP in joined or _SEP + ws in joined or joined[0] == ws or joined[-1] == ws):
            return True
    return False


def _parse_numbers(
    present: Sequence[str], joined: str, convert: Callable[[str], Any]
) -> tuple[list[Any], Any, Any] | None:
    """All values as int (or float), with min and max, or None if any value is not one.

    `int`/`float` alone are too lenient: they accept '1_000', non-ASCII digits, 'inf' and '-nan'.
    """
    if not joined.isascii() or "_" in joined:
        return None
    try:
        xs: list[Any] = list(map(convert, present))
    except ValueError:
        return None
    if convert is float and not math.isfinite(sum(xs)) and not all(map(math.isfinite, xs)):
        return None
    lo, hi = min(xs), max(xs)
    if lo < -_MAX_MAGNITUDE or hi > _MAX_MAGNITUDE:
        return None
    return xs, lo, hi


def _all_dates(present: Sequence[str]) -> bool:
    for value in set(present):
        if _DATE.fullmatch(value) is None:
            return False
        try:
            date.fromisoformat(value)
        except ValueError:  # 2023-02-30 and friends
            return False
    return True


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
        mean_x, mean_y = a.mean + sx / n, b.mean + sy / n
        var_x, var_y = _deviation(sxx, sx, n), _deviation(syy, sy, n)
        co = sxy - sx * sy / n
        state = self.pairs.get((a.index, b.index))
        if state is None:
            self.pairs[(a.index, b.index)] = [n, mean_x, mean_y, var_x, var_y, co]
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


def _quantile(ordered: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks: statistics.quantiles(method="inclusive")."""
    h = (len(ordered) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def _histogram(sample: Sequence[float], lo: float, hi: float, total: int, integer: bool, bins: int) -> dict[str, Any]:
    if lo == hi:
        edges = [lo - 0.5, hi + 0.5]
    elif integer:  # bars a whole number of integers wide, centred on them: no empty bars between
        step = math.ceil((hi - lo + 1) / bins)
        edges = [lo - 0.5 + i * step for i in range(math.ceil((hi - lo + 1) / step) + 1)]
    else:
        edges = [lo + (hi - lo) * i / bins for i in range(bins)] + [hi]
    nbins = len(edges) - 1
    first, width = edges[0], (edges[-1] - edges[0]) / nbins
    raw = [0] * nbins
    for x in sample:
        i = int((x - first) / width)
        raw[min(max(i, 0), nbins - 1)] += 1
    sampled = len(sample) < total
    counts = raw
    if sampled:  # scale to the full count; largest remainders keep the sum exactly `total`
        scaled = [c * total / len(sample) for c in raw]
        counts = [math.floor(s) for s in scaled]
        order = sorted(range(nbins), key=lambda j: scaled[j] - counts[j], reverse=True)
        for j in order[: total - sum(counts)]:
            counts[j] += 1
    return {"edges": [_finite(e) for e in edges], "counts": counts, "sampled": sampled}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _numeric_summary(stats: _Numeric, kind: str, bins: int) -> dict[str, Any]:
    ordered = sorted(stats.reservoir)
    integer = kind == "integer"
    lo: Any = int(stats.lo) if integer else float(stats.lo)
    hi: Any = int(stats.hi) if integer else float(stats.hi)
    std = None
    if stats.n >= 2:
        std = 0.0 if stats.lo == stats.hi else math.sqrt(max(stats.m2, 0.0) / (stats.n - 1))
    return {
        "min": lo,
        "max": hi,
        "mean": _finite(float(stats.lo) if stats.lo == stats.hi else stats.mean),
        "std": None if std is None else _finite(std),
        "quantiles": {name: _finite(_quantile(ordered, p)) for name, p in QUANTILES},
        "quantiles_exact": stats.seen <= stats.k,
        "histogram": _histogram(ordered, float(stats.lo), float(stats.hi), stats.n, integer, bins),
    }


def _check_settings(max_exact_distinct: int, top_n: int, sample_size: int, bins: int) -> None:
    for field, value, least in (
        ("max_exact_distinct", max_exact_distinct, 1),
        ("top_n", top_n, 0),
        ("sample_size", sample_size, 1),
        ("bins", bins, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(f"config.{field}", f"expected an integer >= {least}, found {value!r}")


def _check_header(header: list[str], name: str) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(header, 1):
        if column in seen:
            raise InputError(
                f"{name}:1",
                f"duplicate column name {column!r} (columns {seen[column]} and {position}): expected unique names",
            )
        seen[column] = position


def _physical_lines(row: list[str]) -> int:
    """Lines a parsed row spanned: quoted fields may hold \\n, \\r\\n or \\r line breaks."""
    breaks = sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in row)
    return 1 + breaks


def _clean_block(block: list[list[str]], ncols: int, line: int, name: str) -> tuple[list[list[str]], int]:
    """Drop blank lines; raise on a ragged row, naming its line (reconstructed from the block's
    starting line, since `reader.line_num` has moved on to the end of the block)."""
    kept: list[list[str]] = []
    blank = 0
    for row in block:
        line += _physical_lines(row)
        if not row:
            blank += 1
        elif len(row) != ncols:
            raise InputError(f"{name}:{line}", f"ragged row: expected {ncols} fields like the header, found {len(row)}")
        else:
            kept.append(row)
    return kept, blank


def profile_table(
    source: Path,
    delimiter: str = "auto",
    max_exact_distinct: int = 10000,
    top_n: int = 10,
    sample_size: int = 100_000,
    bins: int = 20,
) -> dict[str, Any]:
    """Profile every column of `source` in one streaming pass; return a JSON-serialisable dict.

    Types are the narrowest that every non-missing value fits: integer < float, or boolean
    (true/false/yes/no), or date (YYYY-MM-DD), else string. Distinct counts are over the text of
    the values (so "1" and "1.0" are two values), except that booleans are counted case-folded.
    """
    source = Path(source)
    sep = resolve_delimiter(delimiter, source)
    _check_settings(max_exact_distinct, top_n, sample_size, bins)
    rows = blank = 0
    with open(source, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        try:
            header = next(reader, None)
            if not header:
                raise InputError(source.name, "file is empty: expected a header row")
            _check_header(header, source.name)
            ncols = len(header)
            columns = [_Column(i, h, max_exact_distinct, sample_size) for i, h in enumerate(header)]
            correlation = _Correlation()
            block_rows = max(256, min(8192, _CELLS_PER_BLOCK // ncols))
            widths = {ncols}
            while True:
                line = reader.line_num
                block = list(islice(reader, block_rows))
                if not block:
                    break
                if set(map(len, block)) != widths:
                    block, skipped = _clean_block(block, ncols, line, source.name)
                    blank += skipped
                    if not block:
                        continue
                rows += len(block)
                aligned = sum(c.kind in (None, "integer", "float") for c in columns) >= 2
                parts = [p for c, values in zip(columns, zip(*block)) if (p := c.feed(values, aligned)) is not None]
                if len(parts) >= 2:
                    correlation.update(parts)
        except UnicodeDecodeError:
            raise not_utf8_error(source) from None
        except csv.Error as exc:
            raise InputError(f"{source.name}:{reader.line_num}", f"malformed CSV: {exc}") from None
    return {
        "source": source.name,
        "rows": rows,
        "blank_lines_skipped": blank,
        "columns": [c.result(top_n, bins) for c in columns],
        "correlation": correlation.result(columns),
    }


def metadata_summary(profile: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth attaching to the input file's info: size, shape and types."""
    return {
        "rows": profile["rows"],
        "columns": len(profile["columns"]),
        "column_types": {c["name"]: c["type"] for c in profile["columns"]},
        "missing_cells": sum(c["missing"] for c in profile["columns"]),
    }


# ----------------------------------------------------------------------------------------------
# Report


def write_report(profile: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """Write `<stem>_profile.json` and a self-contained `<stem>_profile.html` into `out_dir`.

    Both are written to temporary names first and renamed only when both are complete, so a
    crash never leaves a half-written report that looks finished.
    """
    out_dir = Path(out_dir)
    if not stem or Path(stem).name != stem:
        raise ValueError(f"stem must be a plain file name stem, got {stem!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = [
        (out_dir / f"{stem}_profile.json", json.dumps(profile, indent=2, allow_nan=False, ensure_ascii=False) + "\n"),
        (out_dir / f"{stem}_profile.html", _render_html(profile)),
    ]
    temporaries: list[str] = []
    try:
        for final, text in documents:
            fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{final.name}.", suffix=".tmp")
            temporaries.append(tmp)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600; a report is meant to be read
        for (final, _), tmp in zip(documents, temporaries):
            os.replace(tmp, final)
    finally:
        for tmp in temporaries:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [final for final, _ in documents]


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section{border-top:2px solid #ddd;margin-top:1.5em}
.flag{color:#a60;font-size:.9em}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))


def _histogram_png(hist: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")  # no display in a gear container
    from matplotlib.figure import Figure  # the object API: no pyplot global state

    fig = Figure(figsize=(5.0, 2.4), dpi=96)
    ax = fig.add_subplot()
    edges = hist["edges"]
    widths = [b - a for a, b in pairwise(edges)]
    ax.bar(edges[:-1], hist["counts"], width=widths, align="edge", color="#4c72b0", edgecolor="white", linewidth=0.5)
    ax.set_xlabel("value")
    ax.set_ylabel("rows (estimated)" if hist["sampled"] else "rows")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return b64encode(buffer.getvalue()).decode("ascii")


def _column_html(col: dict[str, Any]) -> str:
    name = html.escape(col["name"])
    rows = [
        ("type", html.escape(col["type"])),
        ("non-missing", _fmt(col["non_missing"])),
        ("missing", _fmt(col["missing"])),
        ("distinct", _fmt(col["distinct"]) + ("" if col["distinct_exact"] else ' <span class="flag">approx.</span>')),
    ]
    parts = [f"<section><h2>{name}</h2><table>"]
    if col["type"] in ("integer", "float"):
        rows += [(k, _fmt(col[k])) for k in ("min", "max", "mean", "std")]
        flag = "" if col["quantiles_exact"] else ' <span class="flag">from a sample</span>'
        rows += [(k, _fmt(v) + flag) for k, v in col["quantiles"].items()]
    elif col["type"] == "date":
        rows += [("min", _fmt(col["min"])), ("max", _fmt(col["max"]))]
    parts += [f"<tr><th>{k}</th><td class=num>{v}</td></tr>" for k, v in rows]
    parts.append("</table>")
    if col["type"] in ("integer", "float"):
        alt = html.escape(f"histogram of {col['name']}", quote=True)
        parts.append(f'<img src="data:image/png;base64,{_histogram_png(col["histogram"])}" alt="{alt}">')
    elif col.get("top"):
        flag = "" if col["top_exact"] else ' <span class="flag">(approximate counts)</span>'
        parts.append(f"<h3>Most frequent values{flag}</h3><table><tr><th>value</th><th>count</th></tr>")
        parts += [
            f"<tr><td>{html.escape(t['value'])}</td><td class=num>{_fmt(t['count'])}</td></tr>" for t in col["top"]
        ]
        parts.append("</table>")
    parts.append("</section>")
    return "\n".join(parts)


def _correlation_html(corr: dict[str, Any]) -> str:
    names = corr["columns"]
    if len(names) < 2:
        return "<p>Fewer than two numeric columns: no correlations.</p>"
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for name, row in zip(names, corr["matrix"]):
        cells = []
        for r in row:
            if r is None:
                cells.append("<td class=num>—</td>")
            else:
                # Blue for positive, red for negative; strength as opacity.
                rgb = "76,114,176" if r >= 0 else "196,78,82"
                cells.append(f'<td class=num style="background:rgba({rgb},{abs(r) * 0.6:.2f})">{r:.3f}</td>')
        body.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _render_html(profile: dict[str, Any]) -> str:
    source = html.escape(profile["source"])
    summary = metadata_summary(profile)
    overview = "".join(
        f"<tr><td>{html.escape(c['name'])}</td><td>{html.escape(c['type'])}</td>"
        f"<td class=num>{_fmt(c['non_missing'])}</td><td class=num>{_fmt(c['missing'])}</td>"
        f"<td class=num>{_fmt(c['distinct'])}{'' if c['distinct_exact'] else ' ≈'}</td></tr>"
        for c in profile["columns"]
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Profile of {source}</title><style>{_CSS}</style></head><body>",
            f"<h1>Profile of {source}</h1>",
            (
                f"<p>{_fmt(summary['rows'])} rows, {_fmt(summary['columns'])} columns, "
                f"{_fmt(summary['missing_cells'])} missing cells.</p>"
            ),
            "<table><tr><th>column</th><th>type</th><th>non-missing</th><th>missing</th><th>distinct</th></tr>",
            overview,
            "</table>",
            *(_column_html(c) for c in profile["columns"]),
            "<section><h2>Correlations (Pearson, pairwise complete rows)</h2>",
            _correlation_html(profile["correlation"]),
            "</section></body></html>",
            "",
        ]
    )
