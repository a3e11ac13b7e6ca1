"""Profile a delimited text table: per-column types, missing values, distinct counts, summary
statistics (skewness included), histograms, top values, pairwise correlations and duplicate rows,
plus a JSON and HTML report.

Two engines give the same profile. The batched engine (`batched`: polars and numpy, on blocks of
~8 MiB, ~10x faster) runs when it can; this module's streaming engine (`profile_streaming`) is the
reference, and takes over any file the batched one cannot promise to read as it does (see
`profile_table`). The streaming engine reads the file once, as a stream, in blocks of rows that are
transposed into columns, so that the per-value work runs in C (`map`, `sum`, `Counter.update`)
rather than in a Python loop per cell. In both, peak memory is bounded by the settings and the
number of columns, never by the file size (duplicate rows: exact up to 20M distinct rows, then
estimated). This module drives the streaming pass and checks the file's shape; `columns` infers
each column's type and statistics, `sketches` and `duplicates` hold the bounded-memory summaries
they rely on, and `report` writes the JSON and HTML. Knows nothing of Flywheel.
"""

from __future__ import annotations

import csv
import logging
from itertools import islice
from pathlib import Path
from typing import Any

from polygear.core.errors import InputError
from polygear.core.tabular import not_utf8_error, resolve_delimiter

from csv_profiler_app.blocks import Unsupported
from csv_profiler_app.columns import _Column, profile_result, stream_block_rows
from csv_profiler_app.duplicates import RowDuplicates, row_hashes
from csv_profiler_app.report import metadata_summary, write_report
from csv_profiler_app.sketches import _Correlation

log = logging.getLogger(__name__)

# The report's functions stay importable from here: run.py, the tests and the benchmark use this module.
__all__ = ["Unsupported", "metadata_summary", "profile_streaming", "profile_table", "write_report"]

# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)


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


ENGINES = ("auto", "batched", "streaming")


def profile_table(
    source: Path,
    delimiter: str = "auto",
    max_exact_distinct: int = 10000,
    top_n: int = 10,
    sample_size: int = 100_000,
    bins: int = 20,
    engine: str = "auto",
) -> dict[str, Any]:
    """Profile every column of `source` in one pass; return a JSON-serialisable dict.

    Types are the narrowest that every non-missing value fits: integer < float, or boolean
    (true/false/yes/no), or date (YYYY-MM-DD), else string. Distinct counts are over the text of
    the values (so "1" and "1.0" are two values), except that booleans are counted case-folded.

    `engine="auto"` runs the batched engine (polars, vectorised: `batched`) and hands the file to the
    streaming engine (csv module, this module: the reference) whenever the batched one cannot
    promise the same result: unusual CSV (a lone carriage return as a line ending, a quote inside an
    unquoted field, integers beyond 64 bits) and every file with an error, so that error messages
    and line numbers come from one place. "batched" raises `Unsupported` instead of handing over;
    "streaming" skips the batched engine.
    """
    source = Path(source)
    sep = resolve_delimiter(delimiter, source)
    _check_settings(max_exact_distinct, top_n, sample_size, bins)
    if engine not in ENGINES:
        raise InputError("engine", f"expected {', '.join(ENGINES)}, found {engine!r}")
    settings = (max_exact_distinct, top_n, sample_size, bins)
    if engine != "streaming":
        try:
            from csv_profiler_app.batched import profile_batched
        except ImportError as exc:  # polars missing (a platform without wheels): the reference needs none
            if engine == "batched":
                raise
            log.info("csv-profiler: streaming engine for %s (batched engine unavailable: %s)", source.name, exc)
        else:
            try:
                profile = profile_batched(source, sep, *settings)
            except Unsupported as why:
                if engine == "batched":
                    raise
                log.info("csv-profiler: streaming engine for %s (%s)", source.name, why)
            else:
                log.info("csv-profiler: batched engine for %s", source.name)
                return profile
    return profile_streaming(source, sep, *settings)


def profile_streaming(
    source: Path, sep: str, max_exact_distinct: int, top_n: int, sample_size: int, bins: int
) -> dict[str, Any]:
    """The reference engine: one pass of csv.reader over the file (see the module's docstring).
    Raises every input error, with its line."""
    rows = blank = 0
    duplicates = RowDuplicates()
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
            block_rows = stream_block_rows(ncols)
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
                duplicates.add(row_hashes(block))
                aligned = sum(c.kind in (None, "integer", "float") for c in columns) >= 2
                parts = [
                    p
                    for c, values in zip(columns, zip(*block, strict=False), strict=False)
                    if (p := c.feed(values, aligned)) is not None
                ]
                if len(parts) >= 2:
                    correlation.update(parts)
        except UnicodeDecodeError:
            raise not_utf8_error(source) from None
        except csv.Error as exc:
            raise InputError(f"{source.name}:{reader.line_num}", f"malformed CSV: {exc}") from None
    return profile_result(source.name, rows, blank, duplicates, columns, correlation, top_n, bins)
