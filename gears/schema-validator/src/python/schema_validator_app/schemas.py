"""Load the JSON Schema and build its validator, and find where each part of it is in the file.

The schema is checked before any record is validated: an unreadable or invalid schema makes the run
meaningless, so it raises `InputError` instead of making every record "fail" (or pass) for reasons
that have nothing to do with the data. Subschemas are located by identity so that a violation's
`schema_pointer` points where the failing keyword really is in the file, `$ref` hops included.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from polygear.core.errors import InputError

from schema_validator_app.readers import _JsonLikeLoader, _parse_json_document, _read_text, _yaml_error

# A jsonschema message quotes the failing instance, which may be a whole (huge) record.
MAX_MESSAGE = 1000
_NO_DRAFT: Any = None  # validator_for's "unknown $schema" answer; Any because its stub wants a class


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
