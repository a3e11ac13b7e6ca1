"""The vectorised reader: large raw blocks, row boundaries by quote parity, one write per key.

Reads the file in blocks cut at row boundaries, finds rows and key fields with `blocks.scan`, gives
each distinct raw key one Python step per block (rows grouped by hashed key bytes, `distinct_keys`),
orders the block's rows by key with a stable sort (input order kept within a key) and writes each
key's rows as one contiguous buffer. Memory is a few times the block size, whatever the file size.
"""

from __future__ import annotations

import codecs
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import RawIOBase
from pathlib import Path

import numpy as np

from polygear.core.tabular import not_utf8_error

from csv_splitter_app.blocks import PAD, BlockRows, Refused, Scratch, distinct_keys, gather, scan, words_view
from csv_splitter_app.outputs import Outputs
from csv_splitter_app.records import FIELD_SIZE_LIMIT

BLOCK_BYTES = 3 * 1024 * 1024  # throughput flattens above ~2 MiB; peak RSS is ~15x the block size (two in flight)
# A row longer than this is handed to the streaming reader, whose field limit then applies.
MAX_BLOCK_BYTES = 2 * FIELD_SIZE_LIMIT


@dataclass(frozen=True)
class Handover:
    """Where the streaming reader takes over: a row boundary, the physical lines before it, why."""

    offset: int
    line: int
    reason: str


def split_blocks(
    source: Path, offset: int, line: int, sep: str, ncols: int, key: int, keep_key: bool, outputs: Outputs
) -> Handover | None:
    """Split from byte `offset` (a row boundary after physical line `line`); None when the whole
    file was split, else where and why the streaming reader must go on.

    Two buffers and a writer thread: while one block's rows are gathered and written, the next is
    read and scanned (numpy releases the GIL, so both cores work)."""
    sep_byte = ord(sep)
    scratch = Scratch()
    buf, spare = bytearray(BLOCK_BYTES + PAD), bytearray(BLOCK_BYTES + PAD)
    filled, eof = 0, False
    pending: Future[None] | None = None
    with open(source, "rb", buffering=0) as fh, ThreadPoolExecutor(1, "csv-splitter-writer") as writer:
        fh.seek(offset)
        try:
            while True:
                filled, eof = _fill(fh, buf, filled, eof)
                if filled == 0:
                    return None
                try:
                    rows = scan(buf, filled, sep_byte, ncols, key, eof, scratch)
                    plan = _plan(buf, rows, outputs, source) if rows is not None else None
                except Refused as exc:  # raised before any name or count changed
                    return Handover(offset, line, str(exc))
                if rows is None:  # no complete row yet: a longer block
                    if len(buf) - PAD >= MAX_BLOCK_BYTES:
                        return Handover(offset, line, f"a row longer than {MAX_BLOCK_BYTES // 2**20} MiB")
                    buf.extend(bytes(len(buf)))
                    continue
                if pending is not None:
                    pending.result()  # the spare buffer is free again (and a write error surfaces here)
                pending = writer.submit(_write, buf, rows, plan, keep_key, outputs) if plan else None
                offset += rows.consumed
                line += rows.lines
                buf, spare, filled = _carry_over(buf, spare, rows.consumed, filled)
                if eof and filled == 0:
                    return None
        finally:
            if pending is not None:
                pending.result()


def _carry_over(buf: bytearray, spare: bytearray, consumed: int, filled: int) -> tuple[bytearray, bytearray, int]:
    """The incomplete row after `consumed` moves to the front of the spare buffer, which becomes
    the next block's (the writer thread may still be reading this one)."""
    rest = filled - consumed
    if len(spare) < len(buf):
        spare = bytearray(len(buf))
    spare[:rest] = buf[consumed:filled]
    return spare, buf, rest


def _fill(fh: RawIOBase, buf: bytearray, filled: int, eof: bool) -> tuple[int, bool]:
    """Read until the buffer is full (less its spare words) or the file ends."""
    view = memoryview(buf)[: len(buf) - PAD]
    while not eof and filled < len(view):
        got = fh.readinto(view[filled:])
        eof = not got
        filled += got
    return filled, eof


def _check_utf8(buf: bytearray, n: int, source: Path) -> None:
    """ASCII blocks (most) pass with one reduction; others are decoded once to validate them."""
    a = np.frombuffer(buf, dtype=np.uint8, count=n)
    if n and int(a.max()) >= 0x80:
        try:
            codecs.utf_8_decode(memoryview(buf)[:n], "strict", True)
        except UnicodeDecodeError:
            raise not_utf8_error(source) from None


@dataclass(frozen=True)
class _Plan:
    """A block's rows as key codes, and the codes present in order."""

    codes: np.ndarray
    present: list[int]
    counts: np.ndarray


def _plan(buf: bytearray, rows: BlockRows, outputs: Outputs, source: Path) -> _Plan | None:
    """Key codes (new values get their file names here, in the reading thread) and the counts;
    None for a block of blank lines only. Raises `Refused` before changing anything."""
    _check_utf8(buf, rows.consumed, source)
    if rows.starts.size and int((rows.ends - rows.starts).max()) > FIELD_SIZE_LIMIT:
        raise Refused(f"a row longer than csv's field limit ({FIELD_SIZE_LIMIT} bytes)")  # csv names the line
    codes = _key_codes(buf, rows, outputs) if rows.starts.size else None
    outputs.result.blank_lines += rows.blank
    if codes is None:
        return None
    counts = np.bincount(codes)
    present = np.flatnonzero(counts)
    for code, n in zip(present.tolist(), counts[present].tolist(), strict=True):
        outputs.count(code, n)
    return _Plan(codes, present.tolist(), counts[present])


def _key_codes(buf: bytearray, rows: BlockRows, outputs: Outputs) -> np.ndarray:
    """Each row's key as the code of its (unquoted) value: one Python step per distinct raw key."""
    group, first = distinct_keys(words_view(buf), rows.key_starts, rows.key_ends)
    lookup = np.empty(first.size, dtype=np.int64)
    for g in np.argsort(first).tolist():  # new values get their files in order of first appearance
        row = first[g]
        lookup[g] = outputs.code(_value(bytes(buf[rows.key_starts[row] : rows.key_ends[row]])))
    codes: np.ndarray = lookup[group]
    return codes


def _value(raw: bytes) -> str:
    """The field's value, as csv gives it: a quoted field loses its quotes and undoubles inner ones."""
    if raw[:1] == b'"':
        raw = raw[1:-1].replace(b'""', b'"')
    return raw.decode("utf-8")


def _write(buf: bytearray, rows: BlockRows, plan: _Plan, keep_key: bool, outputs: Outputs) -> None:
    """In the writer thread: rows in key order (a stable radix sort of 16-bit codes keeps input
    order within a key), gathered into one buffer, one write per key."""
    codes = plan.codes.astype(np.uint16) if plan.codes.max() < 2**16 else plan.codes
    order = np.argsort(codes, kind="stable")
    starts, ends = rows.starts[order], rows.ends[order]
    if keep_key:
        data = gather(words_view(buf), starts, ends)
        sizes = ends - starts
    else:  # the bytes before the dropped field, then those after it
        cut_from, cut_to = rows.drop_starts[order], rows.drop_ends[order]
        pieces = np.column_stack((starts, cut_to)).ravel(), np.column_stack((cut_from, ends)).ravel()
        data = gather(words_view(buf), *pieces)
        sizes = (cut_from - starts) + (ends - cut_to)
    byte_stops = np.cumsum(sizes)[np.cumsum(plan.counts) - 1].tolist()
    view = memoryview(data)
    byte_start = 0
    last_code = int(plan.codes[-1])
    for code, byte_stop in zip(plan.present, byte_stops, strict=True):
        outputs.write(code, view[byte_start:byte_stop])
        if rows.unterminated and code == last_code:
            outputs.write(code, outputs.terminator)
        byte_start = byte_stop
