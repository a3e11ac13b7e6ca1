"""Split a delimited text table into one file per distinct value of a key column.

Each output row is the bytes of its input row: quoting, line endings and empty fields as written,
which no dataframe tool keeps. Two readers give the same files: the vectorised one (`vectorised`,
numpy and pyarrow over raw blocks: several times faster) and the streaming one (`records`, Python's
csv module: whatever csv accepts), which takes over at the first block the other refuses. Memory is
bounded by the block size and the open output files (an LRU of handles), never by the input size.
Knows nothing of Flywheel or KLMS.
"""

from __future__ import annotations

import logging
import string
import unicodedata
from pathlib import Path

from polygear.core.errors import InputError
from polygear.core.naming import safe_component
from polygear.core.tabular import resolve_delimiter

from csv_splitter_app.outputs import Outputs, SplitResult
from csv_splitter_app.records import read_header, stream_rows, without_field
from csv_splitter_app.vectorised import Handover, split_blocks

__all__ = ["SplitResult", "check_pattern", "safe_value", "split_csv"]

log = logging.getLogger(__name__)
READERS = ("auto", "streaming")
PATTERN_FIELDS = {"stem", "value", "suffix", "column"}
PATTERN_WHERE = "config.output_pattern"


def check_pattern(pattern: str) -> None:
    """Refuse, before any row is read, a pattern that cannot give plain, visible file names."""
    _refuse_control_characters(pattern)
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        raise InputError(PATTERN_WHERE, f"invalid pattern {pattern!r}: {exc}") from None
    _refuse_format_specs(fields)
    names = {f for f, _, _ in fields}
    unknown = names - PATTERN_FIELDS
    if unknown:
        raise InputError(
            PATTERN_WHERE,
            f"unknown field(s) {', '.join(sorted(f or '{}' for f in unknown))}; "
            f"expected some of {{{'}, {'.join(sorted(PATTERN_FIELDS))}}}",
        )
    if "value" not in names:
        raise InputError(PATTERN_WHERE, f"pattern {pattern!r} must contain {{value}}, or every row lands in one file")
    if "/" in pattern or "\\" in pattern:
        raise InputError(PATTERN_WHERE, "pattern must name a file, not a path")
    if pattern.startswith("."):
        raise InputError(
            PATTERN_WHERE,
            f"pattern {pattern!r} starts with a dot, which makes hidden files (and could overwrite .metadata.json)",
        )


def _refuse_control_characters(pattern: str) -> None:
    """A NUL ends a C string (the OS call fails: a crash, not an error); others make names nobody can type."""
    for pos, ch in enumerate(pattern, start=1):
        if unicodedata.category(ch) == "Cc":
            raise InputError(
                PATTERN_WHERE, f"pattern contains the control character U+{ord(ch):04X} (character {pos}); remove it"
            )


def _refuse_format_specs(fields: list[tuple[str, str | None, str | None]]) -> None:
    """Only plain `{field}`s: a format spec can pad a name past any length limit, and `!r` adds quotes."""
    for name, spec, conversion in fields:
        if conversion is not None:
            raise InputError(
                PATTERN_WHERE, f"field {{{name}!{conversion}}} has a conversion; use the plain field {{{name}}}"
            )
        if spec:
            raise InputError(
                PATTERN_WHERE, f"field {{{name}:{spec}}} has a format spec; use the plain field {{{name}}}"
            )


def safe_value(value: str) -> str:
    """A key value as a file-name piece (kept under this name for callers of the splitter)."""
    return safe_component(value)


def split_csv(
    source: Path,
    out_dir: Path,
    column: str,
    delimiter: str = "auto",
    output_pattern: str = "{stem}_{value}{suffix}",
    keep_key_column: bool = True,
    max_open_files: int = 128,
    reader: str = "auto",
) -> SplitResult:
    """Write one file per distinct value of `column` into `out_dir`; return what was written.

    Each output row is its input row's bytes (quoting and line endings kept). `reader`: "auto" (the
    vectorised reader, handing over to the streaming one at the first block it refuses) or
    "streaming" (the row-at-a-time reader only; tests use it to check both give the same result).
    """
    if reader not in READERS:
        raise ValueError(f"reader: expected one of {', '.join(READERS)}, found {reader!r}")
    source, out_dir = Path(source), Path(out_dir)
    sep = resolve_delimiter(delimiter, source)
    check_pattern(output_pattern)
    header = read_header(source, sep)
    key, ncols = _key_index(header.fields, column, source), len(header.fields)
    if not keep_key_column and ncols == 1:
        raise InputError(
            "config.keep_key_column", f"{source.name} has no column but {column!r}: dropping it leaves empty rows"
        )
    out_header = header.raw if keep_key_column else without_field(header.raw, key, sep)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = Outputs(out_dir, source, column, output_pattern, out_header.encode("utf-8"), max_open_files)
    args = (sep, ncols, key, keep_key_column, outputs)
    try:
        start = Handover(header.end, header.lines, "reader='streaming' was asked for")
        outputs.result.reader = "streaming"
        if reader == "auto":
            refused = split_blocks(source, header.end, header.lines, *args)
            if refused is None:
                log.info("split %s with the vectorised reader", source.name)
                outputs.result.reader = "vectorised"
                return outputs.result
            start = refused
            outputs.result.reader = f"vectorised, then streaming from line {start.line + 1}"
            log.info(
                "%s: the vectorised reader stops at line %d (%s); the streaming reader goes on from there",
                source.name,
                start.line + 1,
                start.reason,
            )
        stream_rows(source, start.offset, start.line, *args)
    finally:
        outputs.close()
    return outputs.result


def _key_index(header: list[str], column: str, source: Path) -> int:
    """Where the key column is; refuse a header without it, or with it twice (which one would split?)."""
    if not header:
        raise InputError(source.name, "file is empty: expected a header row")
    positions = [i for i, name in enumerate(header) if name == column]
    if not positions:
        shown = ", ".join(repr(h) for h in header[:20])
        raise InputError(
            "config.column", f"column {column!r} not found in the header of {source.name} (columns: {shown})"
        )
    if len(positions) > 1:
        shown = ", ".join(str(i + 1) for i in positions[:-1]) + f" and {positions[-1] + 1}"
        fix = "rename one of them" if len(positions) == 2 else "rename all but one of them"
        raise InputError(
            "config.column",
            f"column {column!r} appears more than once in the header of {source.name} (positions {shown}); {fix}",
        )
    return positions[0]
