"""Split a delimited text table into one file per distinct value of a key column.

Streams rows: memory is bounded by the number of simultaneously open output files (an LRU of
handles), never by the size of the input. Knows nothing of Flywheel or KLMS.
"""

from __future__ import annotations

import csv
import string
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from polygear.core.errors import InputError
from polygear.core.naming import OutputNames, safe_component
from polygear.core.tabular import not_utf8_error, resolve_delimiter

PATTERN_FIELDS = {"stem", "value", "suffix", "column"}
PATTERN_WHERE = "config.output_pattern"
# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class SplitResult:
    rows: int = 0
    blank_lines: int = 0
    files: dict[str, str] = field(default_factory=dict)  # key value -> output file name
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "files": len(self.files), "blank_lines_skipped": self.blank_lines}


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


class _Writers:
    """An LRU of open output files: reopened in append mode when evicted and needed again."""

    def __init__(self, out_dir: Path, delimiter: str, max_open: int) -> None:
        self.out_dir, self.delimiter, self.max_open = out_dir, delimiter, max_open
        self.open: OrderedDict[str, tuple[IO[str], Any]] = OrderedDict()

    def get(self, name: str, header: list[str] | None) -> Any:
        entry = self.open.get(name)
        if entry is not None:
            self.open.move_to_end(name)
            return entry[1]
        if len(self.open) >= self.max_open:
            _, (old, _) = self.open.popitem(last=False)
            old.close()
        fh = open(self.out_dir / name, "a" if header is None else "w", encoding="utf-8", newline="")  # noqa: SIM115
        writer = csv.writer(fh, delimiter=self.delimiter, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        self.open[name] = (fh, writer)
        return writer

    def close(self) -> None:
        for fh, _ in self.open.values():
            fh.close()
        self.open.clear()


def split_csv(
    source: Path,
    out_dir: Path,
    column: str,
    delimiter: str = "auto",
    output_pattern: str = "{stem}_{value}{suffix}",
    keep_key_column: bool = True,
    max_open_files: int = 128,
) -> SplitResult:
    """Write one file per distinct value of `column` into `out_dir`; return what was written."""
    source, out_dir = Path(source), Path(out_dir)
    sep = resolve_delimiter(delimiter, source)
    check_pattern(output_pattern)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = SplitResult()
    names = OutputNames()
    writers = _Writers(out_dir, sep, max(1, max_open_files))
    try:
        with open(source, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=sep)
            try:
                header = next(reader, None) or []
                key_idx, ncols = _key_index(header, column, source), len(header)
                out_header = header if keep_key_column else header[:key_idx] + header[key_idx + 1 :]
                for row in reader:
                    if not row:
                        result.blank_lines += 1
                        continue
                    if len(row) != ncols:
                        raise InputError(
                            f"{source.name}:{reader.line_num}",
                            f"ragged row: expected {ncols} fields like the header, found {len(row)}",
                        )
                    value = row[key_idx]
                    name = result.files.get(value)
                    first = name is None
                    if name is None:
                        name = _new_name(output_pattern, source, column, value, names)
                        result.files[value] = name
                        result.counts[value] = 0
                    writer = writers.get(name, out_header if first else None)
                    writer.writerow(row if keep_key_column else row[:key_idx] + row[key_idx + 1 :])
                    result.counts[value] += 1
                    result.rows += 1
            except UnicodeDecodeError:
                raise not_utf8_error(source) from None
            except csv.Error as exc:
                raise InputError(f"{source.name}:{reader.line_num}", f"malformed CSV: {exc}") from None
    finally:
        writers.close()
    return result


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


def _new_name(pattern: str, source: Path, column: str, value: str, names: OutputNames) -> str:
    """The output file for a new key value: made safe and unique by `OutputNames`.

    Two values can sanitise to the same name ("a/b" and "a_b"), or differ only in case ("Boston",
    "boston", one file on macOS and Windows): never merge them silently. An input named `..csv` has
    the stem "."; `allocate` drops the leading dots rather than write hidden files.
    """
    stem, suffix = source.stem, source.suffix or ".csv"
    return names.allocate(pattern.format(stem=stem, value=safe_value(value), suffix=suffix, column=safe_value(column)))
