"""The batched engine: the streaming engine's profile (`main.profile_streaming`, the reference),
computed on blocks of ~8 MiB of rows at a time with polars and numpy.

Why: the streaming engine spends its time in the csv module and in per-cell Python calls (~11 MB/s).
Here polars parses each block into string columns (`blocks`, `frames`: in a thread one block
ahead), and each column's questions for the block (its distinct values and their counts, which are
missing, which parse as integers, floats, booleans, dates; the numbers of every row) go to polars
in one call per block, answered on all cores, mostly in that thread too. What is left in Python
(`batch_columns`, `block_correlation`, `array_sketches`) works on distinct values (a few dozen for
most columns) or whole numpy arrays. This module drives the blocks and balances the two threads.

The rules are the reference's, value for value: missing tokens, type widening (integer < float,
boolean, date, else string) with the same strictness (ASCII only, no '_', no inf/nan, |x| <= 1e150,
only the whitespace int() and float() skip), exact counts up to `max_exact_distinct` then
HyperLogLog and Misra-Gries, streamed moments, a uniform sample for quantiles, pairwise-complete
correlations. The results are formatted by the reference's own code (`_Column.result`,
`_Correlation.result`), whose state this engine fills in. What differs, and why:

- a block longer than the reference's (8192 rows for up to 16 columns) is summed by numpy
  (pairwise) instead of math.fsum and left-to-right sums, and blocks are merged at other
  boundaries, so means, standard deviations, skewness and correlations agree to ~1e-13 relative,
  not to the last bit. A block no longer than the reference's is summed its way, so a file that
  is one block for both (up to 8192 rows and 8 MiB) gets the reference's figures to the last bit;
- sketches see other blocks and another 64-bit hash (polars'), so *estimated* figures (distinct
  counts beyond the bound, Misra-Gries top values and their error bound, sampled quantiles and
  histograms, duplicate rows beyond 20M) differ within their error bounds; exact ones are identical.

Anything this engine cannot promise to parse as the csv module does raises `Unsupported` (see
`blocks`, `frames`), and the caller profiles the file with the streaming engine instead, which also
raises every input error (ragged rows, bad UTF-8, duplicate names...) with its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from csv_profiler_app.batch_columns import DTYPES, NUMERIC, BatchedColumn, Key
from csv_profiler_app.block_correlation import correlate
from csv_profiler_app.blocks import BLOCK_BYTES
from csv_profiler_app.columns import _Column, profile_result, stream_block_rows
from csv_profiler_app.duplicates import RowDuplicates
from csv_profiler_app.frames import Frames
from csv_profiler_app.sketches import _Correlation


def profile_batched(
    source: Path,
    sep: str,
    max_exact_distinct: int,
    top_n: int,
    sample_size: int,
    bins: int,
    block_bytes: int = BLOCK_BYTES,
) -> dict[str, Any]:
    """Profile `source` as `main.profile_streaming` does; raise `Unsupported` when this engine
    cannot promise the same result (the caller then runs that one). `block_bytes`: the size of a
    block (tests use small ones to get many)."""
    columns: list[BatchedColumn] = []
    names: list[str] = []
    balance = _Balance()

    def ask_ahead(rows: pl.DataFrame) -> _Answers:  # runs in the parsing thread
        return _ask(rows, names, [c.key() if ahead else None for c, ahead in zip(columns, balance.ahead, strict=True)])

    frames = Frames(source, sep, block_bytes, ask_ahead)
    try:
        header = frames.header
        columns += [BatchedColumn(_Column(i, h, max_exact_distinct, sample_size)) for i, h in enumerate(header)]
        names += [f"c{i}" for i in range(len(header))]
        balance.ahead += [True] * len(header)
        balance.costs += [0] * len(header)
        exact_rows = stream_block_rows(len(header))
        correlation = _Correlation()
        duplicates = RowDuplicates()
        rows = blank = 0
        for frame in frames:
            blank += frame.blank
            if not frame.rows.height:
                continue
            rows += frame.rows.height
            duplicates.add(frame.row_hashes)
            balance.costs = _feed_block(
                frame.rows, names, columns, correlation, frame.lines <= exact_rows, frame.prepared
            )
            balance.adjust(frames.consumer_wait, frames.producer_wait)
    finally:
        frames.close()
    finished = [c.finish() for c in columns]
    return profile_result(source.name, rows, blank, duplicates, finished, correlation, top_n, bins)


class _Balance:
    """Which columns' questions the parsing thread asks ahead (the rest are asked by the main
    thread, as it feeds them): moved one at a time, cheapest first (by distinct values last
    block), toward the thread that waits less, so that on two cores neither thread waits for the
    other for long."""

    def __init__(self) -> None:
        self.ahead: list[bool] = []
        self.costs: list[int] = []
        self._waits = (0.0, 0.0)
        self._lean = 0.0  # smoothed (main thread's wait - parsing thread's wait) per block
        self._blocks = 0

    def adjust(self, consumer_wait: float, producer_wait: float) -> None:
        main_wait, parse_wait = consumer_wait - self._waits[0], producer_wait - self._waits[1]
        self._waits = (consumer_wait, producer_wait)
        self._blocks += 1
        if self._blocks <= 2:  # the main thread waits for the first block whatever the balance
            return
        self._lean = 0.7 * self._lean + 0.3 * (main_wait - parse_wait)
        if abs(self._lean) < 0.002:
            return
        moving = self._lean > 0  # the main thread waits: take a column off the parsing thread
        candidates = sorted((cost, i) for i, cost in enumerate(self.costs) if self.ahead[i] == moving)
        if candidates:
            self.ahead[candidates[0][1]] = not moving
            self._lean = 0.0


class _Answers:
    """One block's answers, asked in the parsing thread: per column its key, the answer to its
    question and its cells cast to numbers (by kind name)."""

    __slots__ = ("answers", "casts", "keys")

    def __init__(
        self, keys: Sequence[Key | None], answers: list[list[pl.DataFrame]], casts: list[dict[str, pl.Series]]
    ) -> None:
        self.keys, self.answers, self.casts = keys, answers, casts


def _ask(rows: pl.DataFrame, names: list[str], keys: Sequence[Key | None]) -> _Answers:
    """Every column's question for one block in one polars call (answered on all cores); None:
    a column not asked here (its answer is then asked for, as a stale one, by `_feed_block`)."""
    lazy = rows.lazy()
    asked = [
        [] if key is None else BatchedColumn.question(lazy, name, key) for name, key in zip(names, keys, strict=True)
    ]
    queries = [q for column in asked for q in column]
    casts = [
        pl.col(name).cast(DTYPES[kind], strict=False).alias(f"{i}:{kind}")
        for i, (name, key) in enumerate(zip(names, keys, strict=True))
        if key is not None
        for kind in BatchedColumn.casts(key)
    ]
    if casts:
        queries.append(lazy.select(casts))
    answers = pl.collect_all(queries)
    by_column: list[dict[str, pl.Series]] = [{} for _ in names]
    if casts:
        for series in answers[-1].iter_columns():
            index, kind = series.name.split(":")
            by_column[int(index)][kind] = series
    grouped, at = [], 0
    for column in asked:
        grouped.append(answers[at : at + len(column)])
        at += len(column)
    return _Answers(keys, grouped, by_column)


def _feed_block(
    rows: pl.DataFrame,
    names: list[str],
    columns: list[BatchedColumn],
    correlation: _Correlation,
    exact: bool,
    asked: _Answers | None = None,
) -> list[int]:
    """One block: the answers (asked ahead, or now; again for a column whose key has changed),
    then each column's statistics, then the correlations. Returns each column's distinct values,
    a measure of what its question cost."""
    keys = [c.key() for c in columns]
    if asked is None:
        asked = _ask(rows, names, keys)
    stale = [i for i, (then, now) in enumerate(zip(asked.keys, keys, strict=True)) if then != now]
    if stale:
        again = _ask(rows.select([names[i] for i in stale]), [names[i] for i in stale], [keys[i] for i in stale])
        for j, i in enumerate(stale):
            asked.answers[i], asked.casts[i] = again.answers[j], again.casts[j]
    aligned = sum(c.column.kind in NUMERIC for c in columns) >= 2
    parts = []
    for name, column, answer, cast in zip(names, columns, asked.answers, asked.casts, strict=True):
        part = column.feed(answer, rows[name], cast, aligned, exact)
        if part is not None:
            parts.append(part)
    if len(parts) >= 2:
        with np.errstate(over="ignore", invalid="ignore"):  # as the reference's float sums
            correlate(correlation, parts, exact)
    return [sum(a.height for a in answer) for answer in asked.answers]
