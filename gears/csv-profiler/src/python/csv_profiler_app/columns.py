"""Per-column type inference and statistics, fed one block of cells at a time.

Each column does its per-value work in C (`map`, `sum`, `Counter.update`, scans of a whole block
joined into one string) rather than in a Python loop per cell. Types only widen, from the narrowest
that every non-missing value fits. Values are counted exactly up to `max_exact_distinct` distinct
values per column; beyond, a HyperLogLog sketch and a Misra-Gries summary take over, and quantiles
and histograms come from a reservoir of at most `sample_size` values per numeric column (see
`sketches`), so memory never grows with the file.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from itertools import compress, product, repeat
from operator import mul, not_, sub
from typing import Any

import numpy as np

from csv_profiler_app.duplicates import RowDuplicates
from csv_profiler_app.sketches import HyperLogLog, SampledMoments, _Correlation, _Numeric, _Part

TYPES = ("integer", "float", "boolean", "date", "string")
QUANTILES = (("p05", 0.05), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p95", 0.95))

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
# What str.strip() strips: besides ASCII's six, \x1c-\x1f, \x85, \xa0 and the Unicode spaces.
STRIP_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE = tuple(STRIP_WHITESPACE)
# Squares and cross products of larger magnitudes overflow a float; such columns are not profiled
# as numbers (they are identifiers or corrupt values far more often than measurements).
_MAX_MAGNITUDE = 1e150
_CELLS_PER_BLOCK = 131_072


def stream_block_rows(ncols: int) -> int:
    """Rows per block of the streaming engine: ~128k cells. Its sums and merges run per block, so
    the batched engine sums a batch no longer than this the same way, to the last bit."""
    return max(256, min(8192, _CELLS_PER_BLOCK // ncols))


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
        self.numeric: SampledMoments | None = None  # a _Numeric here; the batched engine has its own
        self.first: str | None = None  # date min/max (ISO strings sort chronologically)
        self.last: str | None = None

    def feed(self, values: tuple[str, ...], aligned: bool) -> _Part | None:
        """Take one block of this column's cells; return a `_Part` when the column is numeric and
        the caller wants correlation input (`aligned`).

        Runs once per column per block, so it only sequences the phases: the exact-text fast path
        stays inline (it is most blocks of most text columns), then missing cells are set apart,
        the rest counted, and the block's type inferred (see `_infer`)."""
        size = len(values)
        if self.kind == "string" and self.hll is None:
            # Text, counted exactly: the cheapest path of all. Missing tokens are counted like
            # values and moved to `missing` once, from the counts (see _drop_missing_values).
            self.count += size
            self.counts.update(values)
            if len(self.counts) > self.max_exact:
                self._start_sketches()
            return None
        flags, present, joined = _split_missing(values)
        n = len(present)
        self.missing += size - n
        if not n:
            return None
        self.count += n
        self._tally(present)
        if self.kind == "string":
            return None
        return self._infer(present, joined, flags if n < size else None, aligned)

    def _infer(self, present: Sequence[str], joined: str, flags: list[bool] | None, aligned: bool) -> _Part | None:
        """Widen the column's type to the narrowest one that this block's present values and all
        earlier ones fit, in the order integer < float, then boolean, then date, else string; a
        numeric block goes on to the statistics (see `_numbers`)."""
        kind = self.kind
        parsed = self._parse_block(present, joined)
        if parsed is not None:
            return self._numbers(parsed, flags, aligned)
        if kind in (None, "boolean") and _all_booleans(present):
            self.kind = "boolean"
            return None
        if kind in (None, "date") and _all_dates(present):
            self.kind = "date"
            self._widen_date_range(present)
            return None
        self._become_text()
        return None

    def _parse_block(self, present: Sequence[str], joined: str) -> tuple[list[Any], Any, Any] | None:
        """The block as integers, else as floats, as far as the column's type still allows; the
        column's type becomes the one that fitted. None when neither fits (or may fit any more)."""
        kind = self.kind
        if kind is None or kind == "integer":
            parsed = _parse_numbers(present, joined, int)
            if parsed is not None:
                self.kind = "integer"
                return parsed
        if kind in (None, "integer", "float"):
            parsed = _parse_numbers(present, joined, float)
            if parsed is not None:
                self.kind = "float"
                return parsed
        return None

    def _widen_date_range(self, present: Sequence[str]) -> None:
        lo, hi = min(present), max(present)
        self.first = lo if self.first is None else min(self.first, lo)
        self.last = hi if self.last is None else max(self.last, hi)

    def _become_text(self) -> None:
        """Types only widen, so a column never leaves "string": its numeric and date summaries
        of earlier blocks no longer describe it and are dropped."""
        self.kind = "string"
        self.numeric = None
        self.first = self.last = None

    def _numbers(self, parsed: tuple[list[Any], Any, Any], flags: list[bool] | None, aligned: bool) -> _Part | None:
        xs, lo, hi = parsed
        n = len(xs)
        if lo == hi:  # exact zeros, so that a constant column has exactly zero variance
            mean = float(lo)
            centred = [0.0] * n
        else:
            mean = math.fsum(xs) / n
            centred = list(map(sub, xs, repeat(mean)))
        numeric = self.numeric
        if numeric is None:
            numeric = self.numeric = _Numeric(self.sample_size, seed=0x5EED + self.index)
        assert isinstance(numeric, _Numeric)  # the streaming pass only ever makes these
        numeric.sample(xs)
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
        m3 = sum(map(mul, squares, centred))  # the zeros at missing cells add nothing
        numeric.merge(n, mean, m2, m3, lo, hi)
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


def _split_missing(values: Sequence[str]) -> tuple[list[bool] | None, Sequence[str], str]:
    """Set a block's missing cells apart: (per cell: missing?, or None when no cell is; the present
    values; those values joined by `_SEP` for whole-block scans). Exact tokens are one set lookup per
    cell; only a block with padded values pays for the exact per-cell test."""
    flags: list[bool] | None = None
    present: Sequence[str] = values
    if not _MISS_EXACT.isdisjoint(values):
        flags = list(map(_MISS_EXACT.__contains__, values))
        present = list(compress(values, map(not_, flags)))
    joined = _SEP.join(present)
    if _has_padding(joined):  # rare: " NA " and friends need the slow, exact test
        flags = [v.strip().lower() in MISSING_TOKENS for v in values]
        present = list(compress(values, map(not_, flags)))
        joined = _SEP.join(present)
    return flags, present, joined


def _has_padding(joined: str) -> bool:
    """Does any value in the block start or end with whitespace (any that str.strip() strips, so
    that " NA" padded with a no-break space is missing here too, as in the counts)? A few C-level
    scans: a character wider than the block's widest is not even searched for."""
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


def _all_booleans(present: Sequence[str]) -> bool:
    """Each distinct value is a boolean token in any letter case, ignoring surrounding whitespace."""
    return {v.strip().lower() for v in set(present)} <= BOOLEAN_TOKENS


def _all_dates(present: Sequence[str]) -> bool:
    for value in set(present):
        if _DATE.fullmatch(value) is None:
            return False
        try:
            date.fromisoformat(value)
        except ValueError:  # 2023-02-30 and friends
            return False
    return True


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
    if width > 0 and len(sample):
        # int((x - first) / width) clamped to a bar, for the whole sample at once (the same float
        # operations; truncation and clamping commute here since bars start at 0).
        position = np.clip((np.asarray(sample, dtype=np.float64) - first) / width, 0, nbins - 1)
        raw = np.bincount(position.astype(np.intp), minlength=nbins).tolist()
    elif len(sample):  # one value so large that +-0.5 vanishes in float precision: a single bar
        raw[0] = len(sample)
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


def _skewness(stats: SampledMoments) -> float | None:
    """Sample skewness g1 = m3 / m2**1.5 (Fisher-Pearson, population moments m_k = M_k / n); None
    below three values or without spread (a constant has no shape), or when it overflows."""
    if stats.n < 3 or stats.lo == stats.hi or not stats.m2 > 0:
        return None
    try:
        g1 = (stats.m3 / stats.n) / (stats.m2 / stats.n) ** 1.5
    except (OverflowError, ZeroDivisionError):
        return None
    return _finite(g1)


def _numeric_summary(stats: SampledMoments, kind: str, bins: int) -> dict[str, Any]:
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
        "skewness": _skewness(stats),
        "quantiles": {name: _finite(_quantile(ordered, p)) for name, p in QUANTILES},
        "quantiles_exact": stats.seen <= stats.k,
        "histogram": _histogram(ordered, float(stats.lo), float(stats.hi), stats.n, integer, bins),
    }


def profile_result(
    source: str,
    rows: int,
    blank: int,
    duplicates: RowDuplicates,
    columns: list[_Column],
    correlation: _Correlation,
    top_n: int,
    bins: int,
) -> dict[str, Any]:
    """The profile as both engines return it: its shape written once, so they cannot drift."""
    return {
        "source": source,
        "rows": rows,
        "blank_lines_skipped": blank,
        "duplicate_rows": duplicates.result(),
        "columns": [c.result(top_n, bins) for c in columns],
        "correlation": correlation.result(columns),
    }
