"""Read the records of a JSON, JSON Lines, YAML, CSV or TSV file as JSON values, each with the line
it starts on, so that a violation can point a curator at the right place in the file.

JSON Lines and CSV/TSV are streamed, so memory is bounded by the largest record; JSON and YAML are
parsed whole, as their parsers require. A record that cannot be parsed (a bad JSON line, a ragged
CSV row) is yielded with its problem and reported as that record's violation; only a file that
cannot be read as a whole (missing, bad encoding, unparseable JSON or YAML document) raises
`InputError`. CSV/TSV cells are strings, so each is converted to the type the schema declares.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import re
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import yaml
from polygear.core.errors import InputError

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

FORMATS = ("json", "jsonl", "yaml", "csv", "tsv")
ALIASES = {"ndjson": "jsonl", "yml": "yaml"}
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
}
# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)

_JSON_WS = re.compile(r"[ \t\n\r]*")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_YAML_NULL = "tag:yaml.org,2002:null"


class _JsonLikeLoader(yaml.SafeLoader):
    """SafeLoader minus timestamp resolution: JSON Schema sees JSON values, so `2024-01-05` must stay
    the string that `format: date` checks, not become a `datetime.date` that fails `type: string`."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Record(NamedTuple):
    line: int | None  # 1-based source line where the record starts, when the format tells
    value: Any  # the parsed record (meaningless when `problem` is set)
    problem: str | None = None  # why the record could not be parsed, if it could not


def resolve_format(data_format: str, records_path: Path) -> str:
    """`auto` goes by the file extension; explicit names (and the aliases ndjson, yml) win."""
    name = str(data_format).strip().lower()
    name = ALIASES.get(name, name)
    if name in FORMATS:
        return name
    if name != "auto":
        raise InputError("config.format", f"expected auto, {', '.join(FORMATS)}, found {data_format!r}")
    fmt = EXTENSIONS.get(records_path.suffix.lower())
    if fmt is None:
        raise InputError(
            "config.format",
            f"cannot tell the format of {records_path.name} from its extension: expected one of "
            f"{', '.join(EXTENSIONS)}, found {records_path.suffix or 'none'}; set the format explicitly",
        )
    return fmt


def iter_records(path: Path, fmt: str, schema: dict[str, Any] | bool | None = None) -> Generator[_Record, None, None]:
    """Yield the records of `path` in order; `schema` drives CSV/TSV cell coercion."""
    if fmt == "json":
        return _json_records(path)
    if fmt == "jsonl":
        return _jsonl_records(path)
    if fmt == "yaml":
        return _yaml_records(path)
    if fmt in ("csv", "tsv"):
        return _csv_records(path, "\t" if fmt == "tsv" else ",", schema)
    raise InputError("config.format", f"expected one of {', '.join(FORMATS)}, found {fmt!r}")


# --------------------------------------------------------------------------------------------------
# Reading


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(path.name, "file not found") from None
    except OSError as exc:
        raise InputError(path.name, f"cannot read the file: {exc.strerror or exc}") from None


def _read_text(path: Path) -> str:
    """Whole-file UTF-8 (a leading BOM is dropped), with the line of the first bad byte on failure."""
    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _encoding_error(f"{path.name}:{line}", exc) from None


def _open_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for each physical line, decoded one line at a time so that a bad byte is
    reported on its own line (a text-mode file decodes in chunks and cannot say where)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(path.name, "file not found") from None
    except OSError as exc:
        raise InputError(path.name, f"cannot read the file: {exc.strerror or exc}") from None
    with fh:
        for number, raw in enumerate(fh, 1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise _encoding_error(f"{path.name}:{number}", exc) from None


def _encoding_error(where: str, exc: UnicodeDecodeError) -> InputError:
    byte = exc.object[exc.start]
    return InputError(where, f"not valid UTF-8 (byte 0x{byte:02x}); re-encode the file as UTF-8")


def _parse_json_document(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.msg == "Extra data":
            hint = " (one JSON value per line is JSON Lines: name the file .jsonl or set the format to jsonl)"
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}{hint}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InputError(name, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise InputError(name, "invalid JSON: nested too deeply to parse") from None


def _yaml_error(name: str, text: str, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        problem = getattr(exc, "problem", None) or str(exc)
        return InputError(f"{name}:{mark.line + 1}", f"invalid YAML: {problem}")
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML forbids, e.g. a control character
        line = text.count("\n", 0, exc.position) + 1
        return InputError(f"{name}:{line}", f"invalid YAML: {exc.reason} (character #x{exc.character:04x})")
    return InputError(name, f"invalid YAML: {exc}")


# --------------------------------------------------------------------------------------------------
# Record sources


def _json_records(path: Path) -> Generator[_Record, None, None]:
    """A top-level array is a list of records; any other value (normally an object) is one record."""
    text = _read_text(path)
    if not text.strip():
        return
    value = _parse_json_document(path.name, text)
    if not isinstance(value, list):
        start = _JSON_WS.match(text, 0)
        yield _Record(text.count("\n", 0, start.end() if start else 0) + 1, value)
        return
    for line, item in zip(_array_item_lines(text), value, strict=True):
        yield _Record(line, item)


def _array_item_lines(text: str) -> list[int]:
    """Start line of each element of the (already validated) top-level JSON array in `text`.

    A second, shallow pass with `raw_decode`: the json module gives no positions for values.
    """
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        match = _JSON_WS.match(text, i)
        return match.end() if match else i

    lines: list[int] = []
    line, counted = 1, 0
    i = skip(0) + 1  # just past "["
    while True:
        i = skip(i)
        if text[i] == "]":
            return lines
        line += text.count("\n", counted, i)
        counted = i
        lines.append(line)
        _, i = decoder.raw_decode(text, i)
        i = skip(i)
        if text[i] == ",":
            i += 1


def _jsonl_records(path: Path) -> Generator[_Record, None, None]:
    """One record per non-blank line. A line that is not JSON is that record's `parse` violation, so
    one bad line among millions does not hide the state of all the others."""
    for number, text in _open_lines(path):
        if not text.strip():
            continue
        try:
            # Without its line break, so that an error at the end of the line gets that line's column.
            yield _Record(number, json.loads(text.rstrip("\r\n")))
        except json.JSONDecodeError as exc:
            yield _Record(number, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
        except ValueError as exc:
            yield _Record(number, None, f"invalid JSON: {exc}")
        except RecursionError:
            yield _Record(number, None, "invalid JSON: nested too deeply to parse")


def _yaml_records(path: Path) -> Generator[_Record, None, None]:
    """Each document is a record; a file of exactly one document that is a list is a list of records.

    Empty documents (a stray `---` at the end) are skipped; an explicit `null` document is a record.
    Lines are where each document's (or list item's) content starts.
    """
    text = _read_text(path)
    try:
        loader = _JsonLikeLoader(text)  # checks for characters YAML forbids right away
    except yaml.YAMLError as exc:
        raise _yaml_error(path.name, text, exc) from None
    try:
        try:
            nodes = _yaml_nodes(loader)
            first = next(nodes, None)
            if first is None:
                return
            second = next(nodes, None)
            if second is None and isinstance(first, yaml.SequenceNode):
                data = loader.construct_document(first)
                if isinstance(data, list) and len(data) == len(first.value):
                    for item_node, item in zip(first.value, data, strict=True):
                        yield _Record(item_node.start_mark.line + 1, item)
                    return
                yield _Record(first.start_mark.line + 1, data)
                return
            for node in itertools.chain([first], [second] if second is not None else [], nodes):
                yield _Record(node.start_mark.line + 1, loader.construct_document(node))
        except yaml.YAMLError as exc:
            raise _yaml_error(path.name, text, exc) from None
    finally:
        loader.dispose()


def _yaml_nodes(loader: _JsonLikeLoader) -> Iterator[yaml.Node]:
    """The document nodes of the stream, as `safe_load_all` composes them, minus empty documents."""
    while loader.check_node():
        node = loader.get_node()
        if node is None:
            continue
        if isinstance(node, yaml.ScalarNode) and node.tag == _YAML_NULL and node.value == "":
            continue
        yield node


def _csv_records(path: Path, delimiter: str, schema: dict[str, Any] | bool | None) -> Generator[_Record, None, None]:
    """Rows as objects keyed by the header. Cells are strings, so each is converted to the type the
    schema declares for its column (see `coerce_cell`); an empty cell means the property is absent,
    which is how spreadsheets say "no value". A row with the wrong number of fields is a `parse`
    violation: pairing its cells with the header would be a guess."""
    lines = _open_lines(path)
    # `_open_lines` numbers physical lines; the csv reader counts the same lines, so its `line_num`
    # after a row is that row's last line and the next row starts on the line after it.
    reader = csv.reader((text for _, text in lines), delimiter=delimiter, strict=True)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    try:
        header = _csv_header(reader, path.name)
        if header is None:
            return
        coercers = [_coercer(properties, name) for name in header]
        yield from _csv_rows(reader, header, coercers)
    except csv.Error as exc:
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise InputError(f"{path.name}:{reader.line_num}", f"malformed {kind}: {exc}") from None


def _csv_header(reader: CsvReader, name: str) -> list[str] | None:
    """The first non-blank row, or None when there is none (an empty file has no records). Its names
    must be unique: a record is an object, and a repeated key would silently drop a cell."""
    header: list[str] | None = None
    for row in reader:
        if row:
            header = row
            break
    if header is None:
        return None
    seen: set[str] = set()
    for column in header:
        if column in seen:
            where = f"{name}:{reader.line_num}"
            raise InputError(where, f"expected unique column names, found {column!r} twice")
        seen.add(column)
    return header


def _csv_rows(
    reader: CsvReader, header: list[str], coercers: list[Callable[[str], Any]]
) -> Generator[_Record, None, None]:
    """The records after the header, each with the line it starts on; blank rows are skipped."""
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if not row:
            continue
        yield _csv_row_record(start, header, row, coercers)


def _csv_row_record(start: int, header: list[str], row: list[str], coercers: list[Callable[[str], Any]]) -> _Record:
    """The row as an object keyed by the header, with empty cells left out; a ragged row is the
    record's `parse` violation instead."""
    if len(row) != len(header):
        return _Record(start, None, f"expected {len(header)} fields like the header, found {len(row)}")
    record: dict[str, Any] = {}
    for name, cell, coerce in zip(header, row, coercers, strict=True):
        if cell != "":
            record[name] = coerce(cell)
    return _Record(start, record)


# --------------------------------------------------------------------------------------------------
# CSV cell coercion

# A coercion returns this when the cell cannot be read as its type (None is a value: JSON null).
_NO_FIT: Final = object()


def _to_null(text: str) -> Any:
    return None if text == "null" else _NO_FIT


def _to_boolean(text: str) -> Any:
    lowered = text.lower()
    return lowered == "true" if lowered in ("true", "false") else _NO_FIT


def _to_number(text: str) -> Any:
    """int for integer literals, else a finite float; integer and number read cells alike (JSON
    Schema accepts 3.0 as an integer), so the validator, not this, checks the difference."""
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # beyond Python's digit limit
            return _NO_FIT
    if _NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    return _NO_FIT


def _json_of_kind(kind: type) -> Callable[[str], Any]:
    def to_json(text: str) -> Any:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return _NO_FIT
        return value if isinstance(value, kind) else _NO_FIT

    return to_json


# Tried in this order when a column allows several types: the narrowest reading first.
_COERCIONS: dict[str, Callable[[str], Any]] = {
    "null": _to_null,
    "boolean": _to_boolean,
    "integer": _to_number,
    "number": _to_number,
    "array": _json_of_kind(list),
    "object": _json_of_kind(dict),
}


def _coercer(properties: Any, column: str) -> Callable[[str], Any]:
    subschema = properties.get(column) if isinstance(properties, dict) else None
    declared = subschema.get("type") if isinstance(subschema, dict) else None
    types = [declared] if isinstance(declared, str) else declared if isinstance(declared, list) else []
    return lambda cell: coerce_cell(cell, types)


def coerce_cell(cell: str, types: Sequence[str]) -> Any:
    """Convert a CSV cell to the first of the schema's `type`s it can be read as.

    integer/number: decimal literals (integers that look like 3.0 become floats, which JSON Schema
    still accepts as integers); boolean: true/false in any case; null: `null`; array/object: JSON
    text of that kind. When the column may be a string, or nothing fits, the cell stays a string so
    that the validator, not this function, reports the mismatch (e.g. "'abc' is not of type 'integer'").
    Only the top-level `properties.<column>.type` is consulted: `$ref`, `anyOf` etc. are not followed.
    """
    if "string" in types:
        return cell
    text = cell.strip()
    for kind, coerce in _COERCIONS.items():
        if kind in types:
            value = coerce(text)
            if value is not _NO_FIT:
                return value
    return cell
