"""Profile a delimited text table: per-column types, missing values, distinct counts, summary
statistics, histograms, top values and pairwise correlations, plus a JSON and HTML report.

The file is read once, as a stream, in blocks of rows that are transposed into columns, so that
the per-value work runs in C (`map`, `sum`, `Counter.update`) rather than in a Python loop per
cell. Peak memory is bounded by the settings and the number of columns, never by the file size.
This module drives that pass and checks the file's shape; `columns` infers each column's type and
statistics, `sketches` holds the bounded-memory summaries they rely on, and `report` writes the
JSON and HTML. Knows nothing of Flywheel.
"""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path
from typing import Any

from polygear.core.errors import InputError
from polygear.core.tabular import not_utf8_error, resolve_delimiter

from csv_profiler_app.columns import _Column
from csv_profiler_app.report import metadata_summary, write_report
from csv_profiler_app.sketches import _Correlation

# The report's functions stay importable from here: run.py, the tests and the benchmark use this module.
__all__ = ["metadata_summary", "profile_table", "write_report"]

# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)
_CELLS_PER_BLOCK = 131_072


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
    return {
        "source": source.name,
        "rows": rows,
        "blank_lines_skipped": blank,
        "columns": [c.result(top_n, bins) for c in columns],
        "correlation": correlation.result(columns),
    }
