"""Raw blocks of a CSV file, cut at row boundaries and checked, for the batched engine to parse.

Python's csv module (the streaming engine's reader, and the reference) accepts more than RFC 4180:
a quote inside an unquoted field is text, text after a closing quote is appended, a lone carriage
return ends a row. polars parses some of those differently, so each block is checked here with
whole-array operations on the positions of its quotes (numpy): every quote must open a field, close
one (right before a delimiter or line ending) or be doubled inside one, and every carriage return
outside quotes must precede a line feed. Then quote parity (an even number of quotes before a
byte, counted from a row boundary) says which line feeds end rows, and the two readers agree on
every field. Anything else raises `Unsupported` with the reason, and the caller hands the whole
file to the streaming engine, which gives the reference's result or error.

Blocks are read into reused buffers: a fresh block-sized array costs page faults on every block,
which took longer than the comparison that fills it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUOTE, LF, CR = 0x22, 0x0A, 0x0D
BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 8 << 20


class Unsupported(Exception):
    """The batched engine cannot promise the streaming engine's result (or error) for this file;
    the message says why. The caller then profiles the file with the streaming engine."""


@dataclass
class RawBlock:
    """Complete rows (and blank lines) of the file, as bytes, with what the parse check needs."""

    data: bytes
    quotes: np.ndarray  # positions of the quote characters in `data`
    escaped: int  # doubled quotes inside quoted fields: two bytes in the file, one in the value
    carriage_returns: int  # outside quotes, each right before a line feed (CRLF line endings)
    terminated: bool  # the last row ends with a line feed (only the file's last row may not)

    def blank_rows(self) -> np.ndarray:
        """Indexes (among the block's lines, 0-based) of blank lines: csv skips them, polars
        gives them a row of empty fields. Only called when a block's byte count says it may have
        some, since it needs the positions of every line feed."""
        arr = np.frombuffer(self.data, dtype=np.uint8)
        feeds = np.flatnonzero(arr == LF)
        feeds = feeds[(np.searchsorted(self.quotes, feeds) & 1) == 0]  # outside quotes: row ends
        starts = np.concatenate(([0], feeds[:-1] + 1))
        length = feeds - starts
        blank = length == 0
        one = np.flatnonzero(length == 1)
        blank[one] = arr[starts[one]] == CR
        return np.flatnonzero(blank)


class RawBlocks:
    """The header (parsed by the csv module, as the streaming engine would) and an iterator of
    checked raw blocks of about `block_bytes` each."""

    def __init__(self, path: Path, sep: str, block_bytes: int = BLOCK_BYTES) -> None:
        self.path = path
        self.sep = ord(sep)
        self.sep_text = sep
        self.block_bytes = block_bytes
        self._scratch = np.empty(0, dtype=bool)
        self._fh = open(path, "rb")  # noqa: SIM115 -- closed by close() / the iterator
        try:
            self.header, self._rest = self._read_header()
        except BaseException:
            self._fh.close()
            raise

    def close(self) -> None:
        self._fh.close()

    def _read_header(self) -> tuple[list[str], bytes]:
        """The header row, parsed by the csv module from the bytes before the first line feed
        outside quotes (as the streaming engine would parse it); and the bytes read after it."""
        line, quotes, rest = self._header_line()
        if not line.strip(b"\r"):
            raise Unsupported("empty file or blank first line")
        if line.endswith(b"\r"):
            line = line[:-1]
        line_quotes = quotes[quotes < len(line)]
        if len(line_quotes) % 2:
            raise Unsupported("unbalanced quotes in the header")
        self._check_quotes(line, line_quotes, at_end=True)
        if b"\r" in line:
            raise Unsupported("carriage return inside the header")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise Unsupported("header is not UTF-8") from None
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=self.sep_text))
        if len(rows) != 1 or not rows[0]:
            raise Unsupported("header is not one CSV row")
        header = rows[0]
        if len(set(header)) != len(header):
            raise Unsupported("duplicate column names")
        return header, rest

    def _header_line(self) -> tuple[bytes, np.ndarray, bytes]:
        """The first line (up to its line feed outside quotes, BOM dropped), the positions of
        the quotes read so far, and the bytes read after the line."""
        buf = self._fh.read(1 << 16)
        if buf.startswith(BOM):
            buf = buf[len(BOM) :]
        while True:
            quotes = self._positions(buf, QUOTE)
            end = _first_row_end(buf, quotes)
            if end >= 0:
                return buf[:end], quotes, buf[end + 1 :]
            more = self._fh.read(max(len(buf), 1 << 16))
            if not more:
                return buf, quotes, b""
            buf += more

    def __iter__(self) -> Iterator[RawBlock]:
        """Blocks read into one reused buffer (the rows cut off at its end move to its front);
        each block's bytes are copied out once, for polars."""
        buf = bytearray(self._rest)
        filled = len(buf)
        self._rest = b""
        eof = False
        try:
            while True:
                if not eof:
                    want = filled + self.block_bytes
                    if len(buf) < want:
                        buf.extend(bytes(want - len(buf)))
                    with memoryview(buf) as view:
                        got = self._fh.readinto(view[filled:want])
                    eof = not got
                    filled += got
                if not filled:
                    return
                with memoryview(buf) as view:
                    quotes = self._positions(view[:filled], QUOTE)
                    cut = _last_row_end(buf, quotes, filled)
                    if cut < 0:  # no complete row yet: a row longer than a block, or the file's end
                        if not eof:
                            continue
                        if len(quotes) % 2:
                            raise Unsupported("a quoted field is not closed at the end of the file")
                        data = bytes(view[:filled])
                        filled = 0
                    else:
                        data = bytes(view[: cut + 1])
                        quotes = quotes[quotes <= cut]
                        rest = filled - cut - 1
                        view[:rest] = bytes(view[cut + 1 : filled])
                        filled = rest
                yield self._check(data, quotes)
        finally:
            self._fh.close()

    def _positions(self, data: bytes | memoryview, byte: int) -> np.ndarray:
        arr = np.frombuffer(data, dtype=np.uint8)
        if len(self._scratch) < len(arr):
            self._scratch = np.empty(max(len(arr), self.block_bytes + (1 << 20)), dtype=bool)
        mask = self._scratch[: len(arr)]
        np.equal(arr, byte, out=mask)
        return np.flatnonzero(mask)

    def _check(self, data: bytes, quotes: np.ndarray) -> RawBlock:
        terminated = data.endswith(b"\n")
        escaped = self._check_quotes(data, quotes, at_end=not terminated)
        returns = 0
        if b"\r" in data:
            crs = self._positions(data, CR)
            crs = crs[(np.searchsorted(quotes, crs) & 1) == 0]
            following = crs + 1
            if len(crs) and (
                following[-1] >= len(data) or not bool(np.all(np.frombuffer(data, np.uint8)[following] == LF))
            ):
                raise Unsupported("a carriage return outside quotes that does not end a line (CRLF)")
            returns = len(crs)
        return RawBlock(data, quotes, escaped, returns, terminated)

    def _check_quotes(self, data: bytes, quotes: np.ndarray, at_end: bool) -> int:
        """Every quote opens a field, closes one, or is doubled inside one (RFC 4180); returns
        how many are doubled. `at_end`: `data` ends the file without a line feed."""
        if not len(quotes):
            return 0
        arr = np.frombuffer(data, dtype=np.uint8)
        opens, closes = quotes[0::2], quotes[1::2]
        if len(opens) != len(closes):
            raise Unsupported("a quoted field spans a block")  # not reached: blocks end outside quotes
        # An opening quote follows a delimiter or a line feed (or starts the block), except the
        # second quote of a doubled pair, which directly follows the one before it.
        doubled = np.zeros(len(opens), dtype=bool)
        doubled[1:] = opens[1:] == closes[:-1] + 1
        before = arr[np.maximum(opens - 1, 0)]
        field_start = (opens == 0) | (before == self.sep) | (before == LF)
        if not bool(np.all(field_start | doubled)):
            raise Unsupported("a quote inside an unquoted field")
        # A closing quote is followed by a delimiter, a line ending, another quote (a doubled
        # one), or the end of the file.
        last = len(arr) - 1
        after = arr[np.minimum(closes + 1, last)]
        field_end = (after == self.sep) | (after == LF) | (after == CR) | (after == QUOTE)
        field_end[closes == last] = at_end
        if not bool(np.all(field_end)):
            raise Unsupported("text after a closing quote")
        return int(doubled.sum())


def _first_row_end(buf: bytes, quotes: np.ndarray) -> int:
    """Position of the first line feed outside quotes, or -1."""
    at = buf.find(b"\n")
    while at >= 0:
        if not int(np.searchsorted(quotes, at)) & 1:
            return at
        at = buf.find(b"\n", at + 1)
    return -1


def _last_row_end(buf: bytes | bytearray, quotes: np.ndarray, end: int) -> int:
    """Position of the last line feed outside quotes in buf[:end], or -1."""
    at = buf.rfind(b"\n", 0, end)
    while at >= 0:
        if not int(np.searchsorted(quotes, at)) & 1:
            return at
        at = buf.rfind(b"\n", 0, at)
    return -1
