"""Validate every record of a JSON, JSON Lines, YAML, CSV or TSV file against a JSON Schema.

Invalid records are the *result* of a run, not an error: each violation is reported with the record
number, the source line when the format gives one, and JSON pointers into the record and the schema,
so a curator can fix the data without re-running a validator by hand. Only problems that make the
run meaningless (an unreadable or invalid schema, a records file that cannot be parsed as a whole,
bad encoding, an unknown format) raise `InputError`.

JSON Lines and CSV/TSV are streamed, so memory is bounded by the largest record; JSON and YAML are
parsed whole, as their parsers require. Knows nothing of Flywheel.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import math
import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from jsonschema import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from polygear.errors import InputError
from polygear.jsonfile import write_json_atomic
from referencing.exceptions import Unresolvable

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
# Validator keyword reported for a record that could not even be turned into a JSON value.
PARSE = "parse"
# A jsonschema message quotes the failing instance, which may be a whole (huge) record.
MAX_MESSAGE = 1000
# csv's default limit (128 KiB) is too small for some real exports (long free-text cells).
csv.field_size_limit(64 * 1024 * 1024)

_JSON_WS = re.compile(r"[ \t\n\r]*")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_YAML_NULL = "tag:yaml.org,2002:null"
_NO_DRAFT: Any = None  # validator_for's "unknown $schema" answer; Any because its stub wants a class


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


# --------------------------------------------------------------------------------------------------
# Public API


def validate_records(
    records_path: Path,
    schema_path: Path,
    data_format: str = "auto",
    max_errors: int = 10000,
) -> dict[str, Any]:
    """Validate each record of `records_path` against the schema at `schema_path`.

    Returns the report: {"schema", "records_file", "format", "records", "valid_records",
    "invalid_records", "violations", "violation_count", "truncated", "status"}. Each violation is
    {"record": 1-based number, "line": start line or None, "pointer": RFC 6901 pointer into the
    record ("" = the whole record), "schema_pointer": pointer to the failing keyword in the schema
    file (None for a record that could not be parsed), "validator": the keyword ("parse" for an
    unparseable JSON line or a ragged CSV row), "message"}.

    `violations` keeps the first `max_errors`; `violation_count` counts them all and `truncated`
    says whether some were left out. `status` is "valid" when every record is valid, "invalid" when
    at least one is not, and "empty" when the file holds no records at all: an empty export is
    usually a mistake upstream, and calling it "valid" would hide that.
    """
    records_path, schema_path = Path(records_path), Path(schema_path)
    if isinstance(max_errors, bool) or not isinstance(max_errors, int) or max_errors < 0:
        raise InputError("config.max_errors", f"expected a non-negative integer, found {max_errors!r}")
    fmt = resolve_format(data_format, records_path)
    schema = load_schema(schema_path)
    validator = make_validator(schema, schema_path.name)
    locations = schema_locations(schema)

    records = valid = invalid = total = 0
    violations: list[dict[str, Any]] = []
    with contextlib.closing(iter_records(records_path, fmt, schema)) as stream:  # closes the file early on errors
        for record in stream:
            records += 1
            found = _record_violations(validator, locations, record, records, schema_path.name)
            if not found:
                valid += 1
                continue
            invalid += 1
            total += len(found)
            room = max_errors - len(violations)
            if room > 0:
                violations.extend(found[:room])
    return {
        "schema": schema_path.name,
        "records_file": records_path.name,
        "format": fmt,
        "records": records,
        "valid_records": valid,
        "invalid_records": invalid,
        "violations": violations,
        "violation_count": total,
        "truncated": total > len(violations),
        "status": "empty" if records == 0 else "invalid" if invalid else "valid",
    }


def write_report(result: dict[str, Any], out_dir: Path, stem: str) -> Path:
    """Write `<stem>_validation.json` into `out_dir` atomically and return its path.

    Atomic (temporary sibling + rename) so a killed run never leaves a truncated report that a
    downstream tool would take for a real one.
    """
    if not stem or "/" in stem or "\\" in stem or stem in (".", ".."):
        raise ValueError(f"report stem must be a plain file name stem, got {stem!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}_validation.json"
    write_json_atomic(path, result)
    return path


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth putting in Flywheel file metadata (the full report is a file)."""
    return {key: result[key] for key in ("status", "records", "invalid_records", "violation_count", "schema")}


def json_pointer(parts: Iterable[str | int]) -> str:
    """RFC 6901 pointer for a path: `~` becomes `~0` and `/` becomes `~1`; the root is ""."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def schema_locations(schema: Any) -> dict[int, str]:
    """`id()` of every object and array in the schema document -> its JSON pointer.

    jsonschema's own schema path leaves `$ref` hops out ("/properties/visits/items/properties/..."
    when `items` is just a `$ref`), which points nowhere in the file. The failing subschema is the very
    object parsed from the file, so looking it up by identity gives where it really is:
    "/$defs/visit/properties/score/type". A subschema reused through YAML aliases gets one of its places.
    """
    locations: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(schema, "")]
    while stack:
        node, pointer = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in locations:
            continue
        locations[id(node)] = pointer
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((value, pointer + json_pointer([key])) for key, value in items)
    return locations


# --------------------------------------------------------------------------------------------------
# Formats and the schema


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


def load_schema(schema_path: Path) -> dict[str, Any] | bool:
    """Read a JSON Schema from a .yaml/.yml file as YAML and from any other file as JSON."""
    name = schema_path.name
    text = _read_text(schema_path)
    if not text.strip():
        raise InputError(name, "file is empty: expected a JSON Schema")
    schema: Any
    if schema_path.suffix.lower() in (".yaml", ".yml"):
        try:
            schema = yaml.load(text, Loader=_JsonLikeLoader)
        except yaml.YAMLError as exc:
            raise _yaml_error(name, text, exc) from None
    else:
        schema = _parse_json_document(name, text)
    if not isinstance(schema, (dict, bool)):
        raise InputError(name, f"expected a JSON Schema object (or true/false), found {_json_type(schema)}")
    return schema


def make_validator(schema: dict[str, Any] | bool, schema_name: str) -> Validator:
    """The validator class named by `$schema` (Draft 2020-12 when absent), after `check_schema`.

    Checking the schema first matters: a typo such as `"minimum": "0"` would otherwise make every
    record "fail" (or pass) for reasons that have nothing to do with the data.
    """
    cls: type[Validator] = Draft202012Validator
    if isinstance(schema, dict) and "$schema" in schema:
        uri = schema["$schema"]
        found = validator_for(schema, default=_NO_DRAFT) if isinstance(uri, str) else None
        if found is None:
            raise InputError(
                f"{schema_name}:/$schema",
                f"expected the URI of a JSON Schema draft jsonschema knows "
                f"(e.g. https://json-schema.org/draft/2020-12/schema), found {uri!r}",
            )
        cls = found
    try:
        cls.check_schema(schema)  # type: ignore[arg-type]  # the stub forgets boolean schemas
    except SchemaError as exc:
        pointer = json_pointer(exc.absolute_path)
        where = f"{schema_name}:{pointer}" if pointer else schema_name
        raise InputError(where, f"not a valid JSON Schema ({_keyword(exc)}): {_clip(exc.message)}") from None
    # FORMAT_CHECKER asserts `format` (annotation-only by default in 2019-09+); formats whose checker
    # needs an optional library that is not installed are silently not checked.
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


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
# Validation of one record


def _record_violations(
    validator: Validator, locations: dict[int, str], record: _Record, number: int, schema_name: str
) -> list[dict[str, Any]]:
    if record.problem is not None:
        # No schema keyword failed, hence schema_pointer None; the whole record ("") is at fault.
        return [_violation(number, record.line, "", None, PARSE, record.problem)]
    try:
        errors = sorted(validator.iter_errors(record.value), key=_error_order)
    except RecursionError:  # e.g. a YAML record that contains itself through an alias
        return [_violation(number, record.line, "", None, PARSE, "record is nested too deeply (or contains itself)")]
    except Unresolvable as exc:
        # Only reached when a record walks into the $ref: still the schema's fault, not the data's.
        ref = getattr(exc, "ref", None) or "?"
        message = f"cannot resolve a $ref: {ref!r} not found (other files and URLs are never fetched)"
        raise InputError(schema_name, message) from None
    return [
        _violation(
            number,
            record.line,
            json_pointer(error.absolute_path),
            _schema_pointer(error, locations),
            _keyword(error),
            _clip(error.message),
        )
        for error in errors
    ]


def _violation(
    record: int, line: int | None, pointer: str, schema_pointer: str | None, validator: str, message: str
) -> dict[str, Any]:
    return {
        "record": record,
        "line": line,
        "pointer": pointer,
        "schema_pointer": schema_pointer,
        "validator": validator,
        "message": message,
    }


def _error_order(error: ValidationError) -> tuple[tuple[tuple[int, int, str], ...], ...]:
    """Report a record's errors by place in the record (arrays in index order), then in the schema."""

    def key(parts: Sequence[str | int]) -> tuple[tuple[int, int, str], ...]:
        return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in parts)

    return key(error.absolute_path), key(error.absolute_schema_path)


def _schema_pointer(error: ValidationError, locations: dict[int, str]) -> str:
    """Where the failing keyword is in the schema file (see `schema_locations`); jsonschema's path
    when the subschema is not from the file (a `false` subschema, a built-in meta-schema)."""
    place = locations.get(id(error.schema)) if isinstance(error.schema, dict) else None
    if place is None or not isinstance(error.validator, str):
        return json_pointer(error.absolute_schema_path)
    return place + json_pointer([error.validator])


def _keyword(error: ValidationError | SchemaError) -> str:
    """The failing keyword; jsonschema gives none for a `false` subschema, which rejects anything.

    (jsonschema 4.x also drops the last step of both paths for such an error: `{"properties":
    {"secret": false}}` reports pointer "" and schema pointer "/properties", not "/secret".)
    """
    if isinstance(error.validator, str):
        return error.validator
    return "false" if error.schema is False else "?"


def _clip(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def _json_type(value: Any) -> str:
    """JSON's name for a Python value's type, for "expected X, found Y" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


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
        header: list[str] | None = None
        for row in reader:
            if row:
                header = row
                break
        if header is None:
            return
        seen: set[str] = set()
        for name in header:
            if name in seen:
                where = f"{path.name}:{reader.line_num}"
                raise InputError(where, f"expected unique column names, found {name!r} twice")
            seen.add(name)
        coercers = [_coercer(properties, name) for name in header]
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                yield _Record(start, None, f"expected {len(header)} fields like the header, found {len(row)}")
                continue
            record: dict[str, Any] = {}
            for name, cell, coerce in zip(header, row, coercers, strict=True):
                if cell != "":
                    record[name] = coerce(cell)
            yield _Record(start, record)
    except csv.Error as exc:
        kind = "TSV" if delimiter == "\t" else "CSV"
        raise InputError(f"{path.name}:{reader.line_num}", f"malformed {kind}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# CSV cell coercion

_JSON_KINDS: dict[str, type] = {"array": list, "object": dict}
# Tried in this order when a column allows several types: the narrowest reading first.
_COERCION_ORDER = ("null", "boolean", "integer", "number", "array", "object")


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
    for kind in _COERCION_ORDER:
        if kind not in types:
            continue
        if kind == "null" and text == "null":
            return None
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind in ("integer", "number"):
            if _INTEGER.fullmatch(text):
                try:
                    return int(text)
                except ValueError:  # beyond Python's digit limit
                    continue
            if _NUMBER.fullmatch(text):
                number = float(text)
                if math.isfinite(number):
                    return number
        if kind in _JSON_KINDS:
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, _JSON_KINDS[kind]):
                return value
    return cell
