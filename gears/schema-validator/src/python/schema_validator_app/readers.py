"""Read the records of a JSON, JSON Lines, YAML, CSV or TSV file as JSON values, each with the line
it starts on, so that a violation can point a curator at the right place in the file.

JSON Lines and CSV/TSV are streamed, so memory is bounded by the largest record; JSON and YAML are
parsed whole, as their parsers require. A record that cannot be parsed (a bad JSON line, a ragged
CSV row) is yielded with its problem and reported as that record's violation; only a file that
cannot be read as a whole (missing, bad encoding, unparseable JSON or YAML document) raises
`InputError`. CSV/TSV cells are strings, so each is converted to the type the schema declares.

Inputs may be hostile, so every reader refuses, as an `InputError` naming the file and line, what
would otherwise exhaust the stack, the memory or the time of the run: values nested more than
`MAX_DEPTH` levels deep, and YAML documents whose aliases expand beyond `MAX_YAML_ALIASES`
references or `MAX_YAML_ALIAS_NODES` nodes (a "billion laughs" is a few hundred bytes).
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

# Bounds on untrusted input (see the README's "Limits on untrusted input"). Real records and schemas
# stay far below them; a file beyond them is refused with one line naming the file and line.
# Levels of arrays/objects (YAML sequences/mappings) one inside the other in one document. Python
# recursion follows nesting (PyYAML's composer, jsonschema's validation, ~4 frames a level), so past
# ~250 levels a record would exhaust the stack; 200 leaves room for the frames around the run.
MAX_DEPTH: Final = 200
# Alias references (`*name`) in one YAML document: data exported by tools uses a handful, if any.
MAX_YAML_ALIASES: Final = 10_000
# Nodes that aliases add to one YAML document once expanded (each reference counts every node under
# its anchor, nested references included). PyYAML shares an aliased value instead of copying it, but
# validation, error messages and reports walk the expanded tree: a nine-level "billion laughs" of a
# few hundred bytes expands to 10**9 nodes. A document's own nodes are not counted: they cost memory
# in proportion to the file's size.
MAX_YAML_ALIAS_NODES: Final = 1_000_000
_YAML_TOO_DEEP = "YAML document is nested too deeply to read (e.g. through chained merge keys); refusing it"
# A JSON string (skipped whole, so that brackets inside it do not count) or a bracket, captured.
_JSON_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|([\[\]{}])')
_NESTING_STEP: Final = {"": 0, "[": 1, "{": 1, "]": -1, "}": -1}


class _JsonLikeLoader(yaml.SafeLoader):
    """SafeLoader minus timestamp resolution, within the bounds on untrusted input.

    Without timestamps: JSON Schema sees JSON values, so `2024-01-05` must stay the string that
    `format: date` checks, not become a `datetime.date` that fails `type: string`.

    Bounded: each document is checked as it is composed (nesting, alias references) and once composed
    (its size and nesting with aliases expanded), before anything is constructed from it, so a bomb
    costs no more than its own text. Beyond a bound it raises `InputError` naming `name` and the line.
    """

    def __init__(self, stream: str, name: str = "<yaml>", max_depth: int = MAX_DEPTH) -> None:
        super().__init__(stream)
        self._name = name
        self._max_depth = max_depth
        self._depth = 0  # collections open around the node being composed
        self._aliases = 0  # alias references seen in the current document

    def compose_document(self) -> yaml.Node | None:
        self._depth = self._aliases = 0
        node = super().compose_document()
        if node is not None:
            self._check_expansion(node)
        return node

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                message = f"YAML document has more than {MAX_YAML_ALIASES} alias references (limit); refusing it"
                raise self._refusal(self._next_line(), message)
            return super().compose_node(parent, index)
        if not self.check_event(yaml.CollectionStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise self._refusal(self._next_line(), too_deep(self._max_depth))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _next_line(self) -> int:
        """PyYAML's 0-based line of the event about to be composed."""
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        return event.start_mark.line if event.start_mark is not None else 0

    def _check_expansion(self, root: yaml.Node) -> None:
        """Refuse a composed document that its aliases make too big, too deep or infinite."""
        expanded = _expanded_size_and_depth(root)
        line = root.start_mark.line
        if expanded is None:
            raise self._refusal(line, "YAML document contains itself through an alias; refusing it")
        size, depth = expanded
        if size > MAX_YAML_ALIAS_NODES:
            message = f"YAML document expands to more than {MAX_YAML_ALIAS_NODES} nodes through aliases (limit)"
            raise self._refusal(line, message + "; refusing it")
        if depth > self._max_depth:
            raise self._refusal(line, too_deep(self._max_depth, " through aliases"))

    def _refusal(self, line: int, message: str) -> InputError:
        """`line` is PyYAML's 0-based mark line."""
        return InputError(f"{self._name}:{line + 1}", message)


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    """A composed node's children (a mapping's keys and values): what an alias would repeat."""
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size_and_depth(root: yaml.Node) -> tuple[int, int] | None:
    """(nodes that aliases add, collections nested) of a composed YAML document once every alias is
    expanded; None when the document contains itself (an alias to a collection still open).

    An aliased node is one object shared by every reference, so this walks each node once and adds
    up sizes (memoised), iteratively: linear in the text, whatever the expansion (10**9 nodes for a
    billion laughs), and no recursion for a deep document.
    """
    size: dict[int, int] = {}  # id(node) -> nodes in its expanded tree, itself included
    depth: dict[int, int] = {}  # id(node) -> collections nested in its expanded tree, itself included
    open_nodes: set[int] = set()  # started, children not done: the path from the root (LIFO order)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            children = _yaml_children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            deepest = max((depth[id(child)] for child in children), default=0)
            depth[key] = deepest + 1 if isinstance(node, yaml.CollectionNode) else 0
            open_nodes.discard(key)
        elif key in open_nodes:
            return None
        elif key not in size:
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _yaml_children(node))
    return size[id(root)] - len(size), depth[id(root)]


def too_deep(limit: int, how: str = "") -> str:
    """The one message for a value nested beyond `limit` (records and schemas, every format)."""
    return f"nested more than {limit} levels deep{how} (limit); refusing it"


def _json_too_deep(text: str, limit: int) -> int | None:
    """Offset of the first `[` or `{` that opens more than `limit` levels deep in JSON `text`, else None.

    Meant for text that parsed (or parsed until Python's recursion limit): strings are then matched
    whole, so brackets inside them do not count. The usual case runs at C speed (regex, map,
    accumulate, max); only text over the limit pays for a Python loop to find the place.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    steps = map(_NESTING_STEP.__getitem__, _JSON_BRACKETS.findall(text))
    if max(itertools.accumulate(steps), default=0) <= limit:
        return None
    level = 0
    for match in _JSON_BRACKETS.finditer(text):
        level += _NESTING_STEP[match.group(1) or ""]
        if level > limit:
            return match.start()
    return None


class _TooDeep(Exception):
    """A CSV cell's JSON nested beyond `MAX_DEPTH`; the row adds its `line`, the reader the file."""

    def __init__(self, line: int | None = None) -> None:
        super().__init__(line)
        self.line = line


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


def _parse_json_document(name: str, text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value of a whole file; nesting beyond `max_depth` is refused with its line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.msg == "Extra data":
            hint = " (one JSON value per line is JSON Lines: name the file .jsonl or set the format to jsonl)"
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}{hint}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InputError(name, f"invalid JSON: {exc}") from None
    except RecursionError:  # nested far beyond the limit: only the place is left to find
        raise _json_depth_error(name, text, _json_too_deep(text, max_depth), max_depth) from None
    offset = _json_too_deep(text, max_depth)
    if offset is not None:
        raise _json_depth_error(name, text, offset, max_depth)
    return value


def _json_depth_error(name: str, text: str, offset: int | None, limit: int) -> InputError:
    """`name:line` of the bracket at `offset` (just `name` when the place is unknown)."""
    where = name if offset is None else f"{name}:{text.count(chr(10), 0, offset) + 1}"
    return InputError(where, too_deep(limit))


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
    one bad line among millions does not hide the state of all the others. A line nested beyond
    `MAX_DEPTH` is refused with the whole file, like every input beyond a bound: it is not a slip in
    the data that a curator fixes record by record, and validating it would exhaust the stack."""
    for number, text in _open_lines(path):
        if not text.strip():
            continue
        line = text.rstrip("\r\n")  # so that an error at the end of the line gets that line's column
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Record(number, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        except ValueError as exc:
            yield _Record(number, None, f"invalid JSON: {exc}")
            continue
        except RecursionError:
            raise InputError(f"{path.name}:{number}", too_deep(MAX_DEPTH)) from None
        if _json_too_deep(line, MAX_DEPTH) is not None:
            raise InputError(f"{path.name}:{number}", too_deep(MAX_DEPTH))
        yield _Record(number, value)


def _yaml_records(path: Path) -> Generator[_Record, None, None]:
    """Each document is a record; a file of exactly one document that is a list is a list of records.

    Empty documents (a stray `---` at the end) are skipped; an explicit `null` document is a record.
    Lines are where each document's (or list item's) content starts.
    """
    text = _read_text(path)
    loader = _yaml_loader(path.name, text, MAX_DEPTH)
    try:
        try:
            yield from _yaml_stream_records(loader)
        except yaml.YAMLError as exc:
            raise _yaml_error(path.name, text, exc) from None
        except RecursionError:  # not by nesting (bounded as composed) but e.g. chained merge keys
            raise InputError(path.name, _YAML_TOO_DEEP) from None
    finally:
        loader.dispose()


def _yaml_stream_records(loader: _JsonLikeLoader) -> Generator[_Record, None, None]:
    """The records of a YAML stream, as `_yaml_records` describes them."""
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


def _yaml_loader(name: str, text: str, max_depth: int) -> _JsonLikeLoader:
    """A bounded loader for `text`; it checks for characters YAML forbids right away."""
    try:
        return _JsonLikeLoader(text, name, max_depth)
    except yaml.YAMLError as exc:
        raise _yaml_error(name, text, exc) from None


def _yaml_document(name: str, text: str, max_depth: int = MAX_DEPTH) -> Any:
    """The one document of a YAML file (None when there is none), within the bounds on untrusted
    input; more than one document is an error, as for `yaml.safe_load`."""
    loader = _yaml_loader(name, text, max_depth)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise _yaml_error(name, text, exc) from None
    except RecursionError:  # not by nesting (bounded as composed) but e.g. chained merge keys
        raise InputError(name, _YAML_TOO_DEEP) from None
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
    except _TooDeep as exc:  # a cell of JSON text for an array or object column
        raise InputError(f"{path.name}:{exc.line}", too_deep(MAX_DEPTH)) from None


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
    try:
        for name, cell, coerce in zip(header, row, coercers, strict=True):
            if cell != "":
                record[name] = coerce(cell)
    except _TooDeep:
        raise _TooDeep(start) from None
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
        except RecursionError:
            raise _TooDeep from None
        except ValueError:
            return _NO_FIT
        if not isinstance(value, kind):
            return _NO_FIT
        if _json_too_deep(text, MAX_DEPTH) is not None:
            raise _TooDeep
        return value

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
    An array or object cell nested more than `MAX_DEPTH` levels deep raises `_TooDeep`, which the CSV
    reader turns into an `InputError` for the file, as every reader refuses such a value.
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
