"""One column's state and per-block work in the batched engine (see `batched`): its questions
for polars, and what is made of the answers, following the reference's `columns._Column` rule for
rule (missing tokens, type widening, exact counts then sketches, moments, the sample).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from csv_profiler_app.array_sketches import VALUE_SEED, HashedHyperLogLog, MisraGries, SampledMoments
from csv_profiler_app.block_correlation import Aligned, block_sum
from csv_profiler_app.blocks import Unsupported
from csv_profiler_app.columns import (
    _MAX_MAGNITUDE,
    _MISS_EXACT,
    BOOLEAN_TOKENS,
    MISSING_TOKENS,
    STRIP_WHITESPACE,
    _Column,
)

_NUM_SPACE = " \t\n\x0b\x0c\r"  # what int() and float() skip around an ASCII number
_NS = r"[ \t\n\x0B\x0C\r]"
_INT_RE = rf"^{_NS}*[+-]?[0-9]+{_NS}*$"
_STRIP_CLASS = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in STRIP_WHITESPACE) + "]"
_PADDED_RE = rf"^{_STRIP_CLASS}|{_STRIP_CLASS}$"  # starts or ends with what str.strip() strips
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_MISSING_SPELLINGS = sorted(_MISS_EXACT)
_BOOLEAN_TOKENS = sorted(BOOLEAN_TOKENS)
_DATES_REMEMBERED = 1 << 20
NUMERIC = (None, "integer", "float")
Key = tuple[str | None, bool]
DTYPES = {"integer": pl.Int64, "float": pl.Float64}


class BatchedColumn:
    """One column's state in the batched engine, around the reference's `_Column` (kind, counts,
    missing, distinct_floor, undercount, first/last), which formats the result."""

    def __init__(self, column: _Column) -> None:
        self.column = column
        self.hll: HashedHyperLogLog | None = None  # set when exact counting stops
        self.summary: MisraGries | None = None  # replaces column.counts meanwhile
        self.stats: SampledMoments | None = None
        self.dates: set[str] = set()

    def key(self) -> Key:
        """What the questions for a block depend on: the column's type so far, and whether its
        sketches run. The questions are asked a block ahead, in the parsing thread, with the key
        of the moment; a block whose key has changed since is asked again (rarely: types widen
        and sketches start a few times per file at most)."""
        return self.column.kind, self.summary is not None

    @staticmethod
    def casts(key: Key) -> list[str]:
        """The numeric types every cell of the block is cast to: those the column may still be."""
        kind = key[0]
        return ["integer", "float"] if kind is None else [kind] if kind in ("integer", "float") else []

    @staticmethod
    def question(frame: pl.LazyFrame, name: str, key: Key) -> list[pl.LazyFrame]:
        """This block's distinct values with their counts, and per value what the column's
        current type needs to know: a missing spelling? padded with whitespace (settled in Python;
        for a numeric column only when its numbers do not add up)? boolean? date? Whether values
        are numbers is asked of every cell (`casts`).

        Once a text or numeric column's sketches run (many distinct values: counting their text
        is most of the cost), its values are counted by their 64-bit hash instead, and each cell
        says whether it is missing; text is fetched only for the few values Misra-Gries keeps."""
        kind, sketching = key
        cell = pl.col(name)
        if sketching and kind in ("string", "integer", "float"):
            hashed = cell.hash(seed=VALUE_SEED)
            counted = frame.select(hashed.alias("h").value_counts(sort=False, name="n")).unnest("h")
            flags = [hashed.alias("h"), cell.is_in(_MISSING_SPELLINGS).alias("missing")]
            if kind == "string":
                flags.append(cell.str.contains(_PADDED_RE).alias("padded"))
            return [counted, frame.select(flags)]
        v = pl.col("v")
        columns = [v, pl.col("n"), v.is_in(_MISSING_SPELLINGS).alias("missing")]
        if kind not in ("integer", "float"):
            columns.append(v.str.contains(_PADDED_RE).alias("padded"))
        if kind in (None, "boolean"):
            columns.append(
                v.str.strip_chars(STRIP_WHITESPACE).str.to_lowercase().is_in(_BOOLEAN_TOKENS).alias("boolean")
            )
        if kind in (None, "date"):
            columns.append(v.str.contains(_DATE_RE).alias("date"))
        if sketching:
            columns.append(v.hash(seed=VALUE_SEED).alias("h"))
        counted = frame.select(cell.alias("v").value_counts(sort=False, name="n")).unnest("v")
        return [counted.select(columns)]

    def feed(
        self, answer: list[pl.DataFrame], values: pl.Series, cast: dict[str, pl.Series], aligned: bool, exact: bool
    ) -> Aligned | None:
        """Take one block of this column (the reference's `_Column.feed`): the answer to
        `question`, the cells, and the cells cast to each of `casts()`."""
        if len(answer) == 2:
            return self._feed_hashed(answer[0], answer[1], values, cast, aligned, exact)
        distinct = answer[0]
        parsed = self._parse(values, cast, len(values) - int(distinct["n"].filter(distinct["missing"]).sum()))
        missing_flags = _missing_values(distinct, look_closer=parsed is None)
        missing = int(distinct["n"].filter(missing_flags).sum())
        n = self._count(len(values), missing)
        if not n:
            return None
        present = distinct.filter(~missing_flags) if missing else distinct
        self._tally(present)
        return self._settle(values, cast, parsed, n, aligned, exact, present, lambda: present["v"])

    def _feed_hashed(
        self,
        counted: pl.DataFrame,
        cells: pl.DataFrame,
        values: pl.Series,
        cast: dict[str, pl.Series],
        aligned: bool,
        exact: bool,
    ) -> Aligned | None:
        """`feed` for a column counted by hash (see `question`): the same steps, per cell."""
        column = self.column
        missing_cells = cells["missing"].to_numpy()
        parsed = self._parse(values, cast, len(values) - int(np.count_nonzero(missing_cells)))
        if column.kind == "string" or parsed is None:
            missing_cells = _missing_cells(cells, values, missing_cells)
        missing = int(np.count_nonzero(missing_cells))
        n = self._count(len(values), missing)
        if not n:
            return None
        cell_hashes = cells["h"]
        hashes, tallies = counted["h"].to_numpy(), counted["n"].to_numpy()
        if missing:  # drop the missing spellings' counts (found by their hashes)
            present = ~np.isin(hashes, np.unique(cell_hashes.to_numpy()[missing_cells]))
            hashes, tallies = hashes[present], tallies[present]

        def text(wanted: np.ndarray) -> list[str]:
            """The text of values by hash: from a cell that holds each."""
            cells_at = np.flatnonzero(cell_hashes.is_in(pl.Series(wanted).implode()).to_numpy())
            seen, first = np.unique(cell_hashes.to_numpy()[cells_at], return_index=True)
            texts: list[str] = values.gather(cells_at[first]).to_list()
            if np.array_equal(seen, wanted):  # `wanted` is sorted, as np.unique's output
                return texts
            found = dict(zip(seen.tolist(), texts, strict=True))
            return [found[h] for h in wanted.tolist()]

        assert self.hll is not None and self.summary is not None
        self.hll.add_hashes(hashes)
        column.undercount += self.summary.add(hashes, tallies, text, column.max_exact)
        return self._settle(
            values, cast, parsed, n, aligned, exact, None, lambda: values.filter(pl.Series(~missing_cells))
        )

    def _count(self, size: int, missing: int) -> int:
        """Count the block's missing and present cells; return the present ones."""
        self.column.missing += missing
        self.column.count += size - missing
        return size - missing

    def _settle(
        self,
        values: pl.Series,
        cast: dict[str, pl.Series],
        parsed: _Parsed | None,
        n: int,
        aligned: bool,
        exact: bool,
        present: pl.DataFrame | None,
        texts: Callable[[], pl.Series],
    ) -> Aligned | None:
        """The block's type (the reference's `_infer`): numbers go on to the statistics; else
        boolean or date if every distinct value (`present`, with its flags) is one, else text.
        `texts()`: the present values (distinct or not), needed only when a type is refused."""
        column = self.column
        if column.kind == "string":
            return None
        if parsed is None and column.kind in NUMERIC:  # " 5": int() skips the spaces, polars does not
            parsed = self._parse(values, cast, n) or self._parse(values.str.strip_chars(_NUM_SPACE), {}, n)
        if parsed is not None:
            return self._numbers(parsed, n, aligned, exact)
        if column.kind in (None, "integer"):
            _refuse_big_integers(column.name, texts())
        kind = column.kind
        if present is not None and kind in (None, "boolean") and bool(present["boolean"].all()):
            column.kind = "boolean"
        elif (
            present is not None and kind in (None, "date") and bool(present["date"].all()) and self._all_dates(texts())
        ):
            column.kind = "date"
            column._widen_date_range([present["v"].min(), present["v"].max()])  # type: ignore[list-item]
        else:
            column._become_text()
            self.stats = None
        return None

    def _parse(self, values: pl.Series, cast: dict[str, pl.Series], n: int) -> _Parsed | None:
        """The block's cells as numbers, if all `n` present ones are integers (or else floats), as
        far as the column's type still allows; the type becomes the one that fitted. polars' casts
        accept exactly what int() and float() accept in the ASCII, '_'-free text the reference
        allows (checked by a fuzz test); float() also takes inf and nan, refused below as there."""
        column = self.column
        kind = column.kind
        if kind not in NUMERIC or n <= 0:
            return None
        ints: pl.Series | None = None
        if kind in (None, "integer"):
            ints = cast["integer"] if "integer" in cast else values.cast(pl.Int64, strict=False)
            if len(ints) - ints.null_count() == n:
                column.kind = "integer"
                lo, hi = int(ints.min()), int(ints.max())  # type: ignore[arg-type]
                return _Parsed(ints.cast(pl.Float64).to_numpy(), lo, hi)
        floats = cast["float"] if "float" in cast else values.cast(pl.Float64, strict=False)
        x = floats.to_numpy()  # null and "nan" cells are NaN
        finite = np.isfinite(x)
        if int(np.count_nonzero(finite)) != n:
            return None
        if ints is not None:  # integers beyond 64 bits are integers to the reference, not floats
            beyond = values.filter(pl.Series(finite & ints.is_null().to_numpy()))
            if bool(beyond.str.contains(_INT_RE).all()):
                raise Unsupported(f"column {column.name!r}: an integer beyond 64 bits")
        low, high = float(x[finite].min()), float(x[finite].max())
        if low < -_MAX_MAGNITUDE or high > _MAX_MAGNITUDE:
            return None
        column.kind = "float"
        return _Parsed(x, low, high)

    def _tally(self, present: pl.DataFrame) -> None:
        """Exact counts while distinct <= max_exact; then HyperLogLog and Misra-Gries, as the
        reference's `_tally`/`_start_sketches`/`_shrink` (a block at a time)."""
        column = self.column
        if self.summary is None:
            counts = column.counts
            counts.update(dict(zip(present["v"].to_list(), present["n"].to_list(), strict=True)))
            if len(counts) > column.max_exact:
                column.distinct_floor = len(counts)
                keys = pl.Series(list(counts), dtype=pl.String).hash(seed=VALUE_SEED).to_numpy()
                self.hll = HashedHyperLogLog()
                self.hll.add_hashes(keys)
                column._shrink()
                self.summary = MisraGries(column.counts)
            return
        assert self.hll is not None
        hashes = present["h"].to_numpy()
        self.hll.add_hashes(hashes)

        def text(wanted: np.ndarray) -> list[str]:
            chosen = present.filter(present["h"].is_in(pl.Series(wanted).implode()))
            found = dict(zip(chosen["h"].to_list(), chosen["v"].to_list(), strict=True))
            return [found[h] for h in wanted.tolist()]

        column.undercount += self.summary.add(hashes, present["n"].to_numpy(), text, column.max_exact)

    def _numbers(self, parsed: _Parsed, n: int, aligned: bool, exact: bool) -> Aligned | None:
        """Moments and sample of one numeric block (the reference's `_numbers`, in whole arrays;
        with `exact`, summed as the reference sums: math.fsum for the mean, left to right after)."""
        column = self.column
        x, lo, hi = parsed.values, parsed.lo, parsed.hi
        mask: np.ndarray | None = None
        xs = x
        if n < len(x):
            mask = ~np.isnan(x)
            xs = x[mask]
        with np.errstate(over="ignore", invalid="ignore"):  # magnitudes near 1e150 overflow, as floats do
            if lo == hi:  # exact zeros, so that a constant column has exactly zero variance
                mean = float(lo)
                centred = np.zeros(len(x))
                m2 = m3 = 0.0
            else:
                mean = (math.fsum(xs.tolist()) if exact else float(np.sum(xs))) / n
                centred = x - mean
                if mask is not None:
                    centred[~mask] = 0.0
                squares = centred * centred  # (not np.dot: BLAS threads stall on a busy machine)
                m2, m3 = block_sum(squares, exact), block_sum(squares * centred, exact)
        if self.stats is None:
            self.stats = SampledMoments(column.sample_size, seed=0x5EED + column.index)
        self.stats.merge(n, mean, m2, m3, lo, hi)
        self.stats.sample(xs)
        return Aligned(column.index, centred, mask, n, mean, m2, exact) if aligned else None

    def _all_dates(self, distinct: pl.Series) -> bool:
        """Every distinct value (already YYYY-MM-DD in form) is a date that exists."""
        for value in distinct.to_list():
            if value in self.dates:
                continue
            try:
                date.fromisoformat(value)
            except ValueError:  # 2023-02-30, year 0 and friends
                return False
            if len(self.dates) < _DATES_REMEMBERED:
                self.dates.add(value)
        return True

    def finish(self) -> _Column:
        """The reference's column state, filled in, to format the result."""
        column = self.column
        if self.summary is not None:
            column.counts = self.summary.counts()
        column.hll = self.hll
        column.numeric = self.stats if column.kind in ("integer", "float") else None
        return column


class _Parsed:
    """A numeric block: every cell as float64 (NaN where missing), and the exact min and max."""

    __slots__ = ("hi", "lo", "values")

    def __init__(self, values: np.ndarray, lo: Any, hi: Any) -> None:
        self.values, self.lo, self.hi = values, lo, hi


def _is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_TOKENS


def _missing_values(distinct: pl.DataFrame, look_closer: bool) -> pl.Series:
    """Per distinct value: missing? Exact spellings were found by polars; padded values get the
    reference's test here. A numeric column's question skips padding unless its numbers did not
    add up (`look_closer`): every cell was then a number or an exact missing spelling."""
    flags = distinct["missing"]
    if look_closer and "padded" not in distinct.columns:
        distinct = distinct.with_columns(distinct["v"].str.contains(_PADDED_RE).alias("padded"))
    if "padded" not in distinct.columns or not distinct["padded"].any():
        return flags
    padded = distinct["padded"]
    closer = flags.to_numpy().copy()
    closer[padded.to_numpy()] = [_is_missing(s) for s in distinct["v"].filter(padded).to_list()]
    return pl.Series(closer)


def _missing_cells(cells: pl.DataFrame, values: pl.Series, flags: np.ndarray) -> np.ndarray:
    """`_missing_values` per cell, for a column counted by hash."""
    padded = cells["padded"] if "padded" in cells.columns else values.str.contains(_PADDED_RE)
    if not padded.any():
        return flags
    at = np.flatnonzero(padded.to_numpy())
    closer = flags.copy()
    closer[at] = [_is_missing(s) for s in values.gather(at).to_list()]
    return closer


def _refuse_big_integers(name: str, texts: pl.Series) -> None:
    """A block the reference reads as integers beyond 64 bits (which polars does not) cannot be
    profiled here: hand the file over."""
    if bool(texts.str.contains(_INT_RE).all()):
        raise Unsupported(f"column {name!r}: an integer beyond 64 bits")
