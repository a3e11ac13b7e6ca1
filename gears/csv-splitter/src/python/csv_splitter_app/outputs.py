"""The per-key output files of one split: names, counts and a bounded set of open handles.

Both readers (vectorised and streaming) write through this, so names, order of first appearance,
counts and the header line are the same whichever read the file.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from polygear.core.naming import OutputNames, safe_component

_BUFFER = 64 * 1024  # per open file: the vectorised reader writes larger chunks unbuffered; 128 open files stay small


@dataclass
class SplitResult:
    rows: int = 0
    blank_lines: int = 0
    files: dict[str, str] = field(default_factory=dict)  # key value -> output file name
    counts: dict[str, int] = field(default_factory=dict)
    reader: str = "vectorised"  # or "streaming", or "vectorised, then streaming from line N"

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "files": len(self.files), "blank_lines_skipped": self.blank_lines}


class Outputs:
    """Key values get small integer codes (the vectorised reader groups rows by them); each code
    has one output file, created with the header line on its first rows and appended to after."""

    def __init__(self, out_dir: Path, source: Path, column: str, pattern: str, header: bytes, max_open: int) -> None:
        self.out_dir, self.source, self.column, self.pattern = out_dir, source, column, pattern
        self.header = header
        # Added after a last row that ends the file without a line ending, so that rows appended
        # after it in the same output stay on lines of their own: the header's own line ending.
        self.terminator = b"\r\n" if header.endswith(b"\r\n") else b"\n"
        self.max_open = max(1, max_open)
        self.result = SplitResult()
        self.values: list[str] = []
        self.codes: dict[str, int] = {}
        self._names = OutputNames()
        self._open: OrderedDict[int, IO[bytes]] = OrderedDict()
        self._started: set[int] = set()

    def code(self, value: str) -> int:
        """The code of a key value; a new value gets its file name now (order of first appearance)."""
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
            stem, suffix = self.source.stem, self.source.suffix or ".csv"
            name = self.pattern.format(
                stem=stem, value=safe_component(value), suffix=suffix, column=safe_component(self.column)
            )
            self.result.files[value] = self._names.allocate(name)
            self.result.counts[value] = 0
        return code

    def count(self, code: int, rows: int) -> None:
        self.result.counts[self.values[code]] += rows
        self.result.rows += rows

    def write(self, code: int, data: bytes | bytearray | memoryview) -> None:
        """Only writes: the vectorised reader calls this from its writer thread, `count` from its own."""
        self._handle(code).write(data)

    def _handle(self, code: int) -> IO[bytes]:
        fh = self._open.get(code)
        if fh is not None:
            self._open.move_to_end(code)
            return fh
        if len(self._open) >= self.max_open:
            _, old = self._open.popitem(last=False)
            old.close()
        path = self.out_dir / self.result.files[self.values[code]]
        first = code not in self._started
        fh = open(path, "wb" if first else "ab", buffering=_BUFFER)  # noqa: SIM115
        if first:
            self._started.add(code)
            fh.write(self.header)
        self._open[code] = fh
        return fh

    def close(self) -> None:
        for fh in self._open.values():
            fh.close()
        self._open.clear()
