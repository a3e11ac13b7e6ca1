"""CSV records as the bytes they were written with: the header, and the streaming reader.

Python's csv module parses a record but forgets its text. Feeding it lines through a recorder
gives both: the lines it pulled for one record are that record's exact text (quoting, line endings,
stray quotes and all), so rows are copied as written rather than re-serialised. This is the
fallback reader, for whatever the vectorised one refuses; it accepts all that csv accepts.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from polygear.core.errors import InputError
from polygear.core.tabular import not_utf8_error

from csv_splitter_app.outputs import Outputs

# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
csv.field_size_limit(FIELD_SIZE_LIMIT)


class _Recorder:
    """Passes lines to csv.reader and keeps them until `take` collects one record's text."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._seen: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._seen.append(line)
        return line

    def take(self) -> str:
        raw = "".join(self._seen)
        self._seen.clear()
        return raw


@dataclass(frozen=True)
class Header:
    fields: list[str]
    raw: str  # the header record as written, line ending included, byte-order mark excluded
    end: int  # byte offset of the first data row
    lines: int  # physical lines it spans


def read_header(source: Path, sep: str) -> Header:
    with open(source, "rb") as fb:
        bom = len(codecs.BOM_UTF8) if fb.read(3) == codecs.BOM_UTF8 else 0
    with open(source, encoding="utf-8-sig", newline="") as fh:
        recorder = _Recorder(fh)
        reader = csv.reader(recorder, delimiter=sep)
        try:
            fields = next(reader, None) or []
        except UnicodeDecodeError:
            raise not_utf8_error(source) from None
        except csv.Error as exc:
            raise InputError(f"{source.name}:{reader.line_num}", f"malformed CSV: {exc}") from None
        raw = recorder.take()
    if not fields:
        raise InputError(source.name, "file is empty: expected a header row")
    return Header(fields, raw, bom + len(raw.encode("utf-8")), reader.line_num)


def field_bounds(text: str, index: int, sep: str) -> tuple[int, int]:
    """Where field `index` of one record's text starts and ends, by csv's own rules (a quoted field
    runs to its closing quote; text after it, up to a delimiter or line end, belongs to it)."""
    pos = start = end = 0
    for _ in range(index + 1):
        start = pos
        scan_from = pos
        if text.startswith('"', pos):
            scan_from = len(text)
            j = pos + 1
            while (q := text.find('"', j)) >= 0:
                if text.startswith('"', q + 1):
                    j = q + 2
                    continue
                scan_from = q + 1
                break
        end = _unquoted_end(text, scan_from, sep)
        pos = end + 1
    return start, end


def _unquoted_end(text: str, pos: int, sep: str) -> int:
    found = [i for i in (text.find(sep, pos), text.find("\r", pos), text.find("\n", pos)) if i >= 0]
    return min(found) if found else len(text)


def without_field(text: str, index: int, sep: str) -> str:
    """The record's text without field `index` and one delimiter next to it."""
    start, end = field_bounds(text, index, sep)
    if index:
        return text[: start - 1] + text[end:]
    return text[end + 1 :]


def stream_rows(
    source: Path, offset: int, line: int, sep: str, ncols: int, key: int, keep_key: bool, outputs: Outputs
) -> None:
    """Split from byte `offset` (a row boundary after physical line `line`) to the end of the file."""
    with open(source, "rb") as fb:
        fb.seek(offset)
        recorder = _Recorder(io.TextIOWrapper(fb, encoding="utf-8", newline=""))
        reader = csv.reader(recorder, delimiter=sep)
        try:
            for row in reader:
                raw = recorder.take()
                if not row:
                    outputs.result.blank_lines += 1
                    continue
                if len(row) != ncols:
                    raise InputError(
                        f"{source.name}:{line + reader.line_num}",
                        f"ragged row: expected {ncols} fields like the header, found {len(row)}",
                    )
                text = raw if keep_key else without_field(raw, key, sep)
                data = text.encode("utf-8")
                if not text.endswith(("\n", "\r")):
                    data += outputs.terminator
                code = outputs.code(row[key])
                outputs.write(code, data)
                outputs.count(code, 1)
        except UnicodeDecodeError:
            raise not_utf8_error(source) from None
        except csv.Error as exc:
            raise InputError(f"{source.name}:{line + reader.line_num}", f"malformed CSV: {exc}") from None
