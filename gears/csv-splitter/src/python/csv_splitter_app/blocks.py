"""Rows, fields and key values of a raw block of CSV, found with whole-array operations.

Parsing every field of every row in Python costs ~84 % of a row-at-a-time splitter's time, and
none of it is needed to copy rows: only where each row starts and ends, and the key field's bytes.
Both come from the positions of three bytes (quote, delimiter, line feed): a delimiter or line feed
after an even number of quotes (counted from a row boundary) is outside quotes. numpy finds those
positions in one pass over the block; the rows of each key are then gathered into one buffer and
written in one call per key and block. (pyarrow's dictionary_encode and take did the last two
steps as fast, but importing it alone costs ~37 MB of the 150 MB budget and ~100 MB of image.)

Quote parity is the CSV state machine only for well-formed quoting (RFC 4180: a quote opens a field,
closes it right before a delimiter or line ending, or is doubled inside it). Anything else Python's
csv module also accepts (a quote inside an unquoted field, text after a closing quote, a lone
carriage return as a line ending) is *refused* here with the reason, and the caller hands the rest
of the file to the streaming reader, which gives the same bytes and the same errors.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

QUOTE, LF, CR = 0x22, 0x0A, 0x0D


class Refused(Exception):
    """This block needs the streaming reader: the reason is logged, the bytes are not lost."""


@dataclass(frozen=True)
class BlockRows:
    """The complete rows at the front of a block, as byte offsets into it."""

    consumed: int  # bytes of complete rows (and blank lines); the rest starts the next block
    lines: int  # physical lines in them (line feeds inside quotes count, as csv counts them)
    blank: int  # blank lines skipped
    starts: np.ndarray  # first byte of each non-blank row
    ends: np.ndarray  # one past its line ending (or the end of the file)
    key_starts: np.ndarray  # the key field, quotes included
    key_ends: np.ndarray
    drop_starts: np.ndarray  # the key field with one delimiter, for keep_key_column=False
    drop_ends: np.ndarray
    unterminated: bool  # the last row ends the file without a line ending


class Scratch:
    """Masks reused from block to block: a fresh 8 MiB array costs page faults on every block,
    which took longer than the comparisons that fill it."""

    def __init__(self) -> None:
        self._size = 0
        self.mask = self.other = np.empty(0, dtype=bool)

    def masks(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > self._size:
            self._size = n
            self.mask, self.other = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        return self.mask[:n], self.other[:n]


def scan(buf: bytearray, n: int, sep: int, ncols: int, key: int, final: bool, scratch: Scratch) -> BlockRows | None:
    """The complete rows in `buf[:n]`, which starts at a row boundary; None when it holds none
    (the caller reads more). `final`: the file ends at `n`. Raises `Refused`."""
    a = np.frombuffer(buf, dtype=np.uint8, count=n)
    # A CR as the block's last byte may be half of a CRLF the next read completes: not judged here.
    upto = n - 1 if not final and n and buf[n - 1] == CR else n
    if buf.find(b"\r", 0, upto) >= 0 and buf.count(b"\r", 0, upto) != buf.count(b"\r\n", 0, upto):
        raise Refused("a carriage return that is not part of a CRLF line ending")
    special, other = scratch.masks(n)
    np.equal(a, QUOTE, out=special)
    special |= np.equal(a, sep, out=other)
    special |= np.equal(a, LF, out=other)
    pos = np.flatnonzero(special)
    kinds = a[pos]
    is_quote = kinds == QUOTE
    quotes_before = np.cumsum(is_quote, dtype=np.int32)
    outside = (quotes_before & 1) == 0
    outside &= ~is_quote
    bounds, bound_kinds = pos[outside], kinds[outside]
    line_ends = bounds[bound_kinds == LF]
    cut = int(line_ends[-1]) + 1 if line_ends.size else 0
    unterminated = False
    if final and cut < n:
        if quotes_before.size and quotes_before[-1] & 1:
            _check_quotes(a, pos[is_quote], n, sep)  # a stray quote is the likelier cause: name it
            raise Refused("the file ends inside a quoted field")
        unterminated = True
        cut = n
    if cut == 0:
        return None
    _check_quotes(a, pos[is_quote], cut, sep)
    lines = int(np.count_nonzero(kinds[: np.searchsorted(pos, cut)] == LF)) + unterminated  # quoted ones too
    del pos, kinds, is_quote, quotes_before, outside  # the peak of a block is here: free what is done
    keep = np.searchsorted(bounds, cut)
    bounds, bound_kinds = bounds[:keep], bound_kinds[:keep]
    if unterminated:  # the end of the file ends the last row: a virtual line feed at n
        bounds = np.append(bounds, n)
        bound_kinds = np.append(bound_kinds, np.uint8(LF))
    return _rows(a, bounds, bound_kinds == LF, cut, lines, ncols, key, unterminated)


def _check_quotes(a: np.ndarray, quotes: np.ndarray, cut: int, sep: int) -> None:
    """Quote parity equals the CSV state machine iff every quote opens a field, closes one before a
    delimiter or line ending, or is one of a doubled pair: refuse anything else."""
    quotes = quotes[quotes < cut]
    if not quotes.size:
        return
    opening, closing = quotes[0::2], quotes[1::2]
    before = a[opening[opening > 0] - 1]
    if not np.isin(before, (sep, LF, QUOTE)).all():
        raise Refused("a quote inside an unquoted field")
    inside = closing[closing + 1 < a.size]
    after = a[inside + 1]
    if not np.isin(after, (sep, LF, CR, QUOTE)).all():
        raise Refused("text after a closing quote")


def _rows(
    a: np.ndarray,
    bounds: np.ndarray,
    is_end: np.ndarray,
    cut: int,
    lines: int,
    ncols: int,
    key: int,
    unterminated: bool,
) -> BlockRows:
    """Rows from the field boundaries outside quotes: a row is `ncols` boundaries, the last a line end."""
    end_index = np.flatnonzero(is_end)
    row_end = bounds[end_index]  # the line feed (or n)
    row_start = np.empty_like(row_end)
    row_start[0] = 0
    row_start[1:] = row_end[:-1] + 1
    fields = np.diff(end_index, prepend=-1)
    length = row_end - row_start
    has_cr = np.zeros(length.shape, dtype=bool)
    nonempty = length > 0
    has_cr[nonempty] = a[row_end[nonempty] - 1] == CR
    blank = (length - has_cr) == 0
    if (fields[~blank] != ncols).any():
        raise Refused("a row with a different number of fields than the header")
    nblank = int(blank.sum())
    if nblank:
        drop = np.ones(bounds.shape, dtype=bool)
        drop[end_index[blank]] = False
        bounds = bounds[drop]
        row_start, row_end = row_start[~blank], row_end[~blank]
    grid = bounds.reshape(-1, ncols)  # grid[r, j]: the delimiter (or line end) after field j of row r
    key_start = grid[:, key - 1] + 1 if key else row_start
    key_end = grid[:, key].copy()
    if key == ncols - 1 and key_end.size:  # the last field stops before a CR of a CRLF
        last_cr = np.zeros(key_end.shape, dtype=bool)
        inside = key_end > key_start
        last_cr[inside] = a[np.minimum(key_end[inside], a.size) - 1] == CR
        key_end -= last_cr
    if key:
        drop_start, drop_end = grid[:, key - 1], key_end
    else:
        drop_start, drop_end = row_start, grid[:, 0] + 1
    ends = row_end + 1
    if unterminated:
        ends[-1] = row_end[-1]
    return BlockRows(cut, lines, nblank, row_start, ends, key_start, key_end, drop_start, drop_end, unterminated)


PAD = 8  # spare bytes after a block's data: 8-byte words are read and written across row ends


def words_view(buf: bytearray) -> np.ndarray:
    """Every 8 bytes of `buf` from every offset, as little-endian integers (unaligned, overlapping):
    copying a row a word at a time is ~8x fewer element copies than byte by byte."""
    return np.ndarray((len(buf) - PAD + 1,), dtype="<u8", buffer=buf, strides=(1,))


def distinct_keys(words: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by their key's bytes: (per row, the index of its group; per group, its first row).

    A key of up to 7 bytes is its own number; longer keys are hashed 8 bytes at a time. Every row
    is then compared with its group's first row, word by word, so that no two keys can be merged
    by a hash collision (the block is refused instead)."""
    lengths = ends - starts
    width = int(lengths.max()) if lengths.size else 0
    if width <= 7:  # the key's bytes and its length (top byte) are the number: no hash, no collision
        h = _key_word(words, starts, lengths, 0) | (lengths.astype(np.uint64) << np.uint64(56))
    else:
        h = lengths.astype(np.uint64)
        for offset in range((width + 7) // 8):
            h = (h ^ _key_word(words, starts, lengths, offset)) * _MULTIPLIER
            h ^= h >> np.uint64(29)
            h *= _MULTIPLIER_2
    _, first, group = np.unique(h, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    rep = first[group]
    same = lengths == lengths[rep]
    for offset in range((width + 7) // 8):
        word = _key_word(words, starts, lengths, offset)
        same &= word == word[rep]
    if not same.all():
        raise Refused("two key values with the same 64-bit hash")
    return group, first


# Drawn per process, so that keys colliding on purpose cannot be prepared in advance (a collision is
# caught and only costs a hand-over to the streaming reader, never merged rows).
_MULTIPLIER, _MULTIPLIER_2 = (np.uint64(secrets.randbits(64) | 1) for _ in range(2))
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def _key_word(words: np.ndarray, starts: np.ndarray, lengths: np.ndarray, offset: int) -> np.ndarray:
    """Bytes 8*offset .. 8*offset+7 of each key as one integer, zero past the key's end."""
    left = np.clip(lengths - 8 * offset, 0, 8).astype(np.uint64)
    keep = np.where(left == 8, _ALL, (np.uint64(1) << (np.uint64(8) * left)) - np.uint64(1))
    word: np.ndarray = words[np.minimum(starts + 8 * offset, words.size - 1)] & keep
    return word


def gather(words: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bytearray:
    """The byte ranges [starts[i], ends[i]) of the block, concatenated in the order given (empty
    ones allowed). Copied a word at a time: each row's last word spills up to 7 bytes past its
    end, which the next row's first word then overwrites (numpy assigns in index order)."""
    lengths = ends - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    total = int(lengths.sum())
    out = bytearray(total + PAD)
    if total:
        count = (lengths + 7) // 8
        begins = np.cumsum(lengths) - lengths
        target = np.ndarray((total + 1,), dtype="<u8", buffer=out, strides=(1,))
        target[_word_steps(begins, count)] = words[_word_steps(starts, count)]
    del out[total:]
    return out


def _word_steps(firsts: np.ndarray, count: np.ndarray) -> np.ndarray:
    """firsts[i], firsts[i] + 8, ... (count[i] of them) for every i, by a cumulative sum of steps."""
    steps = np.full(int(count.sum()), 8, dtype=np.int32 if firsts.size and firsts.max() < 2**31 - 8 else np.int64)
    heads = np.cumsum(count) - count
    steps[0] = firsts[0]
    steps[heads[1:]] = firsts[1:] - (firsts[:-1] + 8 * (count[:-1] - 1))
    return np.cumsum(steps, out=steps)
