"""An execution request's inputs, checked against the Method before anything is launched.

Inputs come from `-i id=value` (text, read as the input's schema type says) and/or an OGC execute
document (`{"inputs": {...}, "outputs": {...}, "response": "raw"}`, JSON-typed); `-i` wins for an
id given both ways. Every given value is checked against its input's `schema` (type, enum, bounds,
pattern, `format: url`...), the count against `minOccurs`/`maxOccurs`, and a read-only input
(`ccpimage`) may only be given its fixed value. Missing inputs take their defaults; defaults are
the Method author's and are not re-checked (the CCP documentation's own example gives `ccpimage`
`format: url` and a Docker image name as default). Each problem is one line naming the field.

CCP's special inputs are accepted even when the Method does not declare them: `ccpnote` (a tag),
`ccpmaxtime` (seconds allowed to the Execute phase) and `ccpreplicas` (parallel replicas).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from polygear.ccp.methodfile import InputDecl, MethodDoc
from polygear.ccp.request_schema import execute_violation
from polygear.core.errors import UserError
from polygear.core.jsonfile import read_json_object

MAX_REPLICAS = 64
SPECIAL_SCHEMAS: dict[str, dict[str, Any]] = {
    "ccpnote": {"type": "string"},
    "ccpmaxtime": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
    "ccpreplicas": {"type": "integer", "minimum": 1, "maximum": MAX_REPLICAS},
}
RESPONSES = ("raw", "document")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?")

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("url")
@FORMATS.checks("uri")
def _is_url(value: object) -> bool:
    """An absolute URL (`scheme:` then something); OpenAPI's `url` is no JSON Schema format."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and parts.scheme.isascii() and bool(parts.netloc or parts.path)


@dataclass(frozen=True)
class Given:
    """The values a request gives one input: `where` names them in errors; text comes from `-i`."""

    values: list[Any]
    where: str
    from_text: bool = False


@dataclass(frozen=True)
class Request:
    """What was asked: the given inputs, and the execute document's `outputs` and `response`."""

    inputs: dict[str, Given]
    outputs: dict[str, Any] = field(default_factory=dict)
    response: str = "raw"


@dataclass(frozen=True)
class BoundInputs:
    """Every input's value(s) after checks and defaults, and the text each placeholder receives."""

    values: dict[str, Any]
    texts: dict[str, str]
    request: Request

    @property
    def note(self) -> str:
        return str(self.values.get("ccpnote", ""))

    @property
    def max_time(self) -> float | None:
        value = self.values.get("ccpmaxtime")
        return float(value) if isinstance(value, (int, float)) else None

    @property
    def replicas(self) -> int:
        value = self.values.get("ccpreplicas", 1)
        return value if isinstance(value, int) else 1

    def request_document(self) -> dict[str, Any]:
        """The effective OGC execute document (defaults filled), as request.json records it."""
        return {"inputs": self.values, "outputs": self.request.outputs, "response": self.request.response}


def parse_assignments(pairs: list[str]) -> dict[str, Given]:
    """`-i id=value` arguments; repeating an id gives several occurrences."""
    found: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"-i {pair}", "expected id=value")
        found.setdefault(key.strip(), []).append(value)
    return {key: Given(values, f"inputs.{key}", from_text=True) for key, values in found.items()}


def _unwrap(value: Any) -> Any:
    """An inline value as the scripts see it: a qualified value's `value`, a link's `href`."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    if isinstance(value, dict) and isinstance(value.get("href"), str) and "bbox" not in value:
        return value["href"]
    return value


def _document_part(document: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    part = document.get(key, {})
    if not isinstance(part, dict):
        raise UserError(f"{where}:{key}", f"expected an object, found {type(part).__name__}")
    return part


def read_execute_document(path: Path, method: MethodDoc) -> Request:
    """An OGC execute document, checked for shape (and against execute.yaml when the specs are set)."""
    document = read_json_object(path, "execute document")
    violation = execute_violation(document)
    if violation is not None:
        raise UserError(f"{path}:{violation[0]}", violation[1])
    inputs = _document_part(document, "inputs", str(path))
    outputs = _document_part(document, "outputs", str(path))
    for output_id in outputs:
        if output_id not in method.output_ids:
            known = ", ".join(sorted(method.output_ids)) or "none"
            raise UserError(f"{path}:outputs.{output_id}", f"not an output of this Method (its outputs: {known})")
    response = document.get("response", "raw")
    if response not in RESPONSES:
        raise UserError(f"{path}:response", f"expected one of {', '.join(RESPONSES)}, found {response!r}")
    given = {key: _given_from_document(key, value, method, f"{path}:inputs.{key}") for key, value in inputs.items()}
    return Request(given, outputs, response)


def _given_from_document(key: str, value: Any, method: MethodDoc, where: str) -> Given:
    """A list at the inputs level means several occurrences, unless the input itself is one array."""
    decl = method.inputs.get(key)
    one_array = decl is not None and decl.schema.get("type") == "array" and decl.max_occurs == 1
    values = value if isinstance(value, list) and not one_array else [value]
    return Given([_unwrap(v) for v in values], where)


def _from_text(text: str, schema: dict[str, Any]) -> Any:
    """`-i` text as the schema's type (text that does not parse stays text; the schema then says why)."""
    kind = schema.get("type")
    stripped = text.strip()
    if kind in ("integer", "number") and _NUMBER.fullmatch(stripped):
        return json.loads(stripped)
    if kind == "boolean":
        return {"true": True, "false": False}.get(stripped.lower(), text)
    if kind in ("array", "object"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _check_value(value: Any, schema: dict[str, Any], where: str) -> None:
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft4Validator(schema, format_checker=FORMATS).iter_errors(value)
    )
    if error is not None:
        inner = ".".join(str(p) for p in error.absolute_path)
        raise UserError(
            where + (f".{inner}" if inner else ""), f"expected a value matching the input's schema: {error.message}"
        )


def _check_count(decl: InputDecl, count: int, where: str) -> None:
    if count < decl.min_occurs:
        found = "not given" if count == 0 else f"{count} given"
        raise UserError(where, f"expected at least {decl.min_occurs} value(s) (minOccurs), {found}")
    if decl.max_occurs is not None and count > decl.max_occurs:
        raise UserError(where, f"expected at most {decl.max_occurs} value(s) (maxOccurs), {count} given")


def _bind_one(decl: InputDecl, given: Given | None) -> list[Any]:
    """The input's values: given ones checked, or the default; [] when neither exists."""
    where = given.where if given else f"inputs.{decl.id}"
    if given is None:
        values = [decl.default] if decl.has_default else []
        _check_count(decl, len(values), where)
        return values
    values = [_from_text(v, decl.schema) if given.from_text else v for v in given.values]
    if decl.read_only and values != [decl.default]:
        raise UserError(where, f"read-only input: its value is fixed to {decl.default!r} and cannot be overridden")
    _check_count(decl, len(values), where)
    for index, value in enumerate(values):
        _check_value(value, decl.schema, where if len(values) == 1 else f"{where}.{index}")
        if decl.id in SPECIAL_SCHEMAS:
            _check_value(value, SPECIAL_SCHEMAS[decl.id], where)
    return values


def text_of(value: Any) -> str:
    """The text a placeholder receives: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _declarations(method: MethodDoc) -> dict[str, InputDecl]:
    special = {
        key: InputDecl(key, schema, 0, 1, False) for key, schema in SPECIAL_SCHEMAS.items() if key not in method.inputs
    }
    return {**method.inputs, **special}


def bind(method: MethodDoc, request: Request) -> BoundInputs:
    """Check the request against the Method and fill defaults (a `UserError` for the first problem)."""
    decls = _declarations(method)
    for key, given in request.inputs.items():
        if key not in decls:
            known = ", ".join(sorted(method.inputs))
            raise UserError(given.where, f"not an input of this Method (its inputs: {known})")
    values: dict[str, Any] = {}
    for key, decl in decls.items():
        found = _bind_one(decl, request.inputs.get(key))
        if found:
            values[key] = found[0] if len(found) == 1 else found
    texts = {key: text_of(values.get(key)) for key in decls}
    for key, text in texts.items():
        if "\0" in text:
            raise UserError(f"inputs.{key}", "a value cannot contain a NUL character (it passes through a shell)")
    return BoundInputs(values, texts, request)


def merge(document: Request | None, assignments: dict[str, Given]) -> Request:
    """The execute document's request with `-i` values replacing the document's for the same ids."""
    if document is None:
        return Request(dict(assignments))
    return Request({**document.inputs, **assignments}, document.outputs, document.response)
