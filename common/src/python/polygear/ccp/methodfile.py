"""Reading a Method JSON (generated or hand-written) strictly, before anything is launched.

The executor runs any Method CCP would accept, so only what running needs is checked, each problem
as one line naming the field (`method.json:inputs.ccpimage.schema: expected ...`): the inputs (a
schema each, occurrences, read-only flags, a runtime image), the lifecycle scripts (lists of shell
lines whose placeholders all name inputs). Descriptive fields (keywords, metadata, links) are kept
as they are. Both spellings of the read-only flag are accepted: OpenAPI's `readOnly: true` and the
CCP documentation's `"readonly": "true"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from polygear.ccp import templating
from polygear.core.errors import UserError
from polygear.core.jsonfile import read_json_object

IMAGE_INPUT = "ccpimage"
# CCP's inputs that govern the execution rather than feed the Method: a request may give them (and
# scripts may use them) even when the Method does not declare them.
SPECIAL_INPUTS = ("ccpnote", "ccpmaxtime", "ccpreplicas")
SCRIPTS = ("deploy-script", "execute-script", "undeploy-script", "cancel-script")
UNBOUNDED = None


@dataclass(frozen=True)
class InputDecl:
    """One declared input: its JSON schema and how often, and whether, a request may give it."""

    id: str
    schema: dict[str, Any]
    min_occurs: int
    max_occurs: int | None  # None: "unbounded"
    read_only: bool

    @property
    def has_default(self) -> bool:
        return "default" in self.schema

    @property
    def default(self) -> Any:
        return self.schema.get("default")


@dataclass(frozen=True)
class MethodDoc:
    """A Method as the executor needs it; `data` is the document as read (copied to method.json)."""

    path: str
    data: dict[str, Any]
    id: str
    inputs: dict[str, InputDecl]
    scripts: dict[str, list[str]]
    output_ids: frozenset[str]

    @property
    def image(self) -> str:
        return str(self.inputs[IMAGE_INPUT].default)

    def where(self, field: str) -> str:
        return f"{self.path}:{field}"


def _fail(where: str, expected: str, found: Any) -> UserError:
    shown = repr(found) if not isinstance(found, (dict, list)) else type(found).__name__
    return UserError(where, f"expected {expected}, found {shown}")


def _truthy_flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _occurs(decl: dict[str, Any], where: str) -> tuple[int, int | None]:
    low, high = decl.get("minOccurs", 1), decl.get("maxOccurs", 1)
    if not isinstance(low, int) or isinstance(low, bool) or low < 0:
        raise _fail(f"{where}.minOccurs", "an integer >= 0", low)
    if high == "unbounded":
        return low, UNBOUNDED
    if not isinstance(high, int) or isinstance(high, bool) or high < max(low, 1):
        raise _fail(f"{where}.maxOccurs", f'an integer >= {max(low, 1)} or "unbounded"', high)
    return low, high


def _schema(decl: dict[str, Any], where: str) -> dict[str, Any]:
    schema = decl.get("schema")
    if not isinstance(schema, dict):
        raise _fail(f"{where}.schema", "a JSON schema object", schema)
    try:
        jsonschema.Draft4Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        field = ".".join(str(p) for p in exc.absolute_path)
        raise UserError(f"{where}.schema{'.' + field if field else ''}", f"not a valid schema: {exc.message}") from None
    return schema


def _input(key: str, decl: Any, where: str) -> InputDecl:
    if not isinstance(decl, dict):
        raise _fail(where, "an input description object", decl)
    if decl.get("id", key) != key:
        raise _fail(f"{where}.id", f"the input's key {key!r}", decl.get("id"))
    schema = _schema(decl, where)
    low, high = _occurs(decl, where)
    read_only = _truthy_flag(schema.get("readOnly")) or _truthy_flag(schema.get("readonly"))
    if read_only and "default" not in schema:
        raise _fail(f"{where}.schema.default", "a default value (the input is read-only)", None)
    return InputDecl(key, schema, low, high, read_only)


def _inputs(data: dict[str, Any], path: str) -> dict[str, InputDecl]:
    raw = data.get("inputs", {})
    if not isinstance(raw, dict):
        raise _fail(f"{path}:inputs", "an object of input descriptions", raw)
    inputs = {key: _input(key, decl, f"{path}:inputs.{key}") for key, decl in raw.items()}
    image = inputs.get(IMAGE_INPUT)
    if image is None:
        raise _fail(f"{path}:inputs.{IMAGE_INPUT}", "the runtime image input every CCP Method declares", None)
    if not isinstance(image.default, str) or not image.default.strip():
        where = f"{path}:inputs.{IMAGE_INPUT}.schema"
        raise _fail(where, "a default naming the container image (repository/image:tag)", image.default)
    return inputs


def _script_lines(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise _fail(where, "a list of shell lines (strings)", value)
    return list(value)


def _scripts(data: dict[str, Any], path: str) -> dict[str, list[str]]:
    extra = data.get("additionalParameters", {})
    params = extra.get("parameters", []) if isinstance(extra, dict) else None
    if not isinstance(params, list):
        raise _fail(f"{path}:additionalParameters.parameters", "a list of {name, value} objects", params)
    scripts: dict[str, list[str]] = {name: [] for name in SCRIPTS}
    for index, param in enumerate(params):
        where = f"{path}:additionalParameters.parameters.{index}"
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise _fail(where, "an object with a string name", param)
        if param["name"] in SCRIPTS:
            scripts[param["name"]] = _script_lines(param.get("value"), f"{where}.value")
    return scripts


def _outputs(data: dict[str, Any], path: str) -> frozenset[str]:
    raw = data.get("outputs", {})
    if not isinstance(raw, dict):
        raise _fail(f"{path}:outputs", "an object of output descriptions", raw)
    return frozenset(raw)


def parse_method(data: dict[str, Any], path: str) -> MethodDoc:
    """Check a Method document; `path` prefixes every error (the file name, as the user gave it)."""
    method_id = data.get("id")
    if not isinstance(method_id, str) or not method_id.strip():
        raise _fail(f"{path}:id", "a non-empty string (the Method's id)", method_id)
    inputs = _inputs(data, path)
    scripts = _scripts(data, path)
    known = set(inputs) | set(SPECIAL_INPUTS)
    for name, lines in scripts.items():
        templating.check(templating.script_text(lines), known, f"{path}:additionalParameters.{name}")
    return MethodDoc(path, data, method_id, inputs, scripts, _outputs(data, path))


def load_method(path: Path) -> MethodDoc:
    """Read and check a Method JSON file (a `UserError` naming the file and field when it is bad)."""
    return parse_method(read_json_object(path, "Method JSON"), str(path))
