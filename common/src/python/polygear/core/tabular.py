"""Shared rules for delimited text tables (CSV/TSV) so every tool reads them the same way."""

from __future__ import annotations

from pathlib import Path

from polygear.core.errors import InputError

DELIMITERS = {"comma": ",", "tab": "\t", "semicolon": ";", "pipe": "|"}


def resolve_delimiter(name: str, source: Path, field: str = "config.delimiter") -> str:
    """`auto` picks tab for .tsv/.tab files and comma otherwise; explicit names win."""
    if name == "auto":
        return "\t" if source.suffix.lower() in (".tsv", ".tab") else ","
    if name in DELIMITERS:
        return DELIMITERS[name]
    raise InputError(field, f"expected auto, {', '.join(DELIMITERS)}, found {name!r}")


def first_bad_utf8_line(path: Path) -> tuple[int, int]:
    """(line number, offending byte) of the first line that is not UTF-8; (0, 0) if none.

    Text decoding works in chunks, so a reader cannot say where a bad byte is; this re-scans the raw
    lines, only on that error path, to name the line and the byte.
    """
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, raw[exc.start]
    return 0, 0


def not_utf8_error(path: Path) -> InputError:
    line, byte = first_bad_utf8_line(path)
    return InputError(f"{path.name}:{line}", f"not valid UTF-8 (byte 0x{byte:02x}); re-encode the file as UTF-8")
