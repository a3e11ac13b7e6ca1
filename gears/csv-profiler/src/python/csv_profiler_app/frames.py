"""Blocks of rows as polars frames of string columns, parsed one block ahead in a thread.

polars parses each raw block (see `blocks`) with every column as a string, empty fields as "" (the
csv module's value). The bytes must then add up: the fields' bytes, plus the quotes that quoting
removed, plus one delimiter between fields, plus the line endings, make the block. A row with too
few fields fails that (polars pads it with empty fields; one with too many is a polars error), and
so does a blank line (csv skips it, polars gives it a row of empty fields), which is then looked
for, dropped and counted. Anything left over raises `Unsupported`.

Parsing (polars, numpy: they release the GIL) runs in a thread one block ahead of the statistics,
so that the two cores of a small machine both work; at most two blocks wait in memory.
"""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import polars as pl

from csv_profiler_app.blocks import BLOCK_BYTES, RawBlock, RawBlocks, Unsupported

ROW_SEED = 0xD0B1E  # polars' hash is stable within a polars version: estimates repeat run to run
T = TypeVar("T")


@dataclass
class Frame(Generic[T]):
    """One block's data rows (blank lines dropped), their row hashes, and what the caller's
    `prepare` made of them in the parsing thread."""

    rows: pl.DataFrame
    blank: int  # blank lines dropped
    lines: int  # rows + blank lines: what the streaming engine counts toward its block size
    row_hashes: np.ndarray
    prepared: T | None


def parse_block(block: RawBlock, schema: dict[str, Any], sep: str) -> tuple[pl.DataFrame, int]:
    """The block's rows as string columns, and how many blank lines were dropped from them."""
    try:
        frame = pl.read_csv(
            io.BytesIO(block.data),  # faster than bytes here (polars 2.1)
            has_header=False,
            schema=schema,
            separator=sep,
            quote_char='"',
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # any polars error: the streaming engine decides
        raise Unsupported(f"polars could not parse a block ({str(exc).splitlines()[0][:200]})") from None
    ncols = len(schema)
    height = frame.height
    field_bytes = sum(frame.select(pl.all().str.len_bytes().sum()).row(0))
    line_ends = (height if block.terminated else height - 1) + block.carriage_returns
    removed = len(block.quotes) - block.escaped  # quoting's quotes, and one of each doubled pair
    expected = field_bytes + removed + height * (ncols - 1) + line_ends
    maybe_blank = expected != len(block.data)
    if ncols == 1 and not maybe_blank:  # a blank line adds up like a row with one empty field
        maybe_blank = bool((frame.to_series() == "").any())
    if not maybe_blank:
        return frame, 0
    blank = block.blank_rows()
    if expected - len(blank) * (ncols - 1) != len(block.data):
        raise Unsupported("a row with fewer fields than the header, or a line polars reads otherwise")
    if len(blank):
        keep = np.ones(height, dtype=bool)
        keep[blank] = False
        frame = frame.filter(pl.Series(keep))
    return frame, len(blank)


class Frames(Generic[T]):
    """The header, and an iterator of parsed `Frame`s read ahead by a thread, which also runs
    `prepare` on each (any work that can be done ahead). Errors in the thread (`Unsupported`
    included) are raised by the iterator; `close()` stops the thread."""

    def __init__(
        self, path: Path, sep: str, block_bytes: int = BLOCK_BYTES, prepare: Callable[[pl.DataFrame], T] | None = None
    ) -> None:
        self._prepare = prepare
        self._blocks = RawBlocks(path, sep, block_bytes)
        self.header = self._blocks.header
        self._schema = {f"c{i}": pl.String for i in range(len(self.header))}
        self._sep = sep
        self._queue: queue.Queue[Frame[T] | BaseException | None] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.consumer_wait = 0.0  # seconds the iterating thread waited for a frame
        self.producer_wait = 0.0  # seconds the parsing thread waited for room in the queue

    def __iter__(self) -> Iterator[Frame[T]]:
        self._thread = threading.Thread(target=self._produce, name="csv-profiler-parse", daemon=True)
        self._thread.start()
        while True:
            started = time.perf_counter()
            item = self._queue.get()
            self.consumer_wait += time.perf_counter() - started
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _produce(self) -> None:
        try:
            for block in self._blocks:
                if self._stop.is_set():
                    return
                rows, blank = parse_block(block, self._schema, self._sep)
                hashes = rows.hash_rows(seed=ROW_SEED).to_numpy()
                prepared = self._prepare(rows) if self._prepare is not None and rows.height else None
                self._put(Frame(rows, blank, rows.height + blank, hashes, prepared))
            self._put(None)
        except BaseException as exc:  # handed to the consuming thread
            self._put(exc)
        finally:
            self._blocks.close()

    def _put(self, item: Frame[T] | BaseException | None) -> None:
        started = time.perf_counter()
        try:
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue
        finally:
            self.producer_wait += time.perf_counter() - started

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._blocks.close()
