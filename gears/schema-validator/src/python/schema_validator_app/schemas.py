"""Load the JSON Schema and build its validator, and find where each part of it is in the file.

The schema is checked before any record is validated: an unreadable or invalid schema makes the run
meaningless, so it raises `InputError` instead of making every record "fail" (or pass) for reasons
that have nothing to do with the data. Subschemas are located by identity so that a violation's
`schema_pointer` points where the failing keyword really is in the file, `$ref` hops included.

A schema is untrusted input too. `$ref`s resolve only inside the schema document: every reference
is checked before any record is validated, and the validator's registry refuses to retrieve anything,
so no URL or local file is ever read (jsonschema would otherwise fetch `http://` and `file://`
references, reading local files into the report or hanging on a host that never answers). Its
nesting is bounded by `MAX_SCHEMA_DEPTH` (checking it against its meta-schema recurses).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import referencing.jsonschema
from jsonschema import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import Draft202012Validator, validator_for
from referencing import Registry, Resource
from referencing.exceptions import InvalidAnchor, NoSuchAnchor, NoSuchResource, PointerToNowhere, Unresolvable

from polygear.core.errors import InputError

from schema_validator_app.readers import _parse_json_document, _read_text, _yaml_document

if TYPE_CHECKING:
    from referencing._core import Resolver  # what Registry.resolver_with_root returns; not re-exported

# A jsonschema message quotes the failing instance, which may be a whole (huge) record.
MAX_MESSAGE = 1000
# Levels of objects/arrays in the schema document. Checking a schema against its meta-schema takes
# ~10 Python frames a level (Draft 2019-09 `items` is the costliest: it overflows the stack past
# ~95 levels); real schemas nest a few dozen levels at most (an object property is two levels).
MAX_SCHEMA_DEPTH: Final = 64
# Keywords whose value is a reference that the validator resolves.
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# A reference that reaches the schema document but not a place in it: reported, as before, when a
# record walks into it ("cannot resolve a $ref"), not refused up front.
_DANGLING = (PointerToNowhere, NoSuchAnchor, InvalidAnchor)
# A subschema to walk, with the resolver (base URI) around it.
_Step = tuple[Resource[Any], "Resolver[Any]"]
_NO_DRAFT: Any = None  # validator_for's "unknown $schema" answer; Any because its stub wants a class


def load_schema(schema_path: Path) -> dict[str, Any] | bool:
    """Read a JSON Schema from a .yaml/.yml file as YAML and from any other file as JSON."""
    name = schema_path.name
    text = _read_text(schema_path)
    if not text.strip():
        raise InputError(name, "file is empty: expected a JSON Schema")
    schema: Any
    if schema_path.suffix.lower() in (".yaml", ".yml"):
        schema = _yaml_document(name, text, MAX_SCHEMA_DEPTH)
    else:
        schema = _parse_json_document(name, text, MAX_SCHEMA_DEPTH)
    if not isinstance(schema, (dict, bool)):
        raise InputError(name, f"expected a JSON Schema object (or true/false), found {_json_type(schema)}")
    return schema


def make_validator(schema: dict[str, Any] | bool, schema_name: str) -> Validator:
    """The validator class named by `$schema` (Draft 2020-12 when absent), after `check_schema`.

    Checking the schema first matters: a typo such as `"minimum": "0"` would otherwise make every
    record "fail" (or pass) for reasons that have nothing to do with the data. Its references are
    checked too (`check_references`), and the validator's registry retrieves nothing.
    """
    cls = _validator_class(schema, schema_name)
    _check_schema(cls, schema, schema_name, "")
    check_references(schema, cls, schema_name)
    # FORMAT_CHECKER asserts `format` (annotation-only by default in 2019-09+); formats whose checker
    # needs an optional library that is not installed are silently not checked.
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_document_only_registry())


def _check_schema(cls: type[Validator], schema: Any, schema_name: str, pointer: str) -> None:
    """`cls.check_schema`, failing with an `InputError` that points into the file (`pointer` is
    where `schema` is in it)."""
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        place = pointer + json_pointer(exc.absolute_path)
        where = f"{schema_name}:{place}" if place else schema_name
        raise InputError(where, f"not a valid JSON Schema ({_keyword(exc)}): {_clip(exc.message)}") from None
    except RecursionError:  # a backstop: MAX_SCHEMA_DEPTH keeps real and hostile schemas below this
        raise InputError(schema_name, "the schema is nested too deeply to check; refusing it") from None


def _validator_class(schema: dict[str, Any] | bool, schema_name: str) -> type[Validator]:
    """The validator class named by `$schema`, Draft 2020-12 when absent."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        return Draft202012Validator
    uri = schema["$schema"]
    found: type[Validator] | None = validator_for(schema, default=_NO_DRAFT) if isinstance(uri, str) else None
    if found is None:
        raise InputError(
            f"{schema_name}:/$schema",
            f"expected the URI of a JSON Schema draft jsonschema knows "
            f"(e.g. https://json-schema.org/draft/2020-12/schema), found {uri!r}",
        )
    return found


# --------------------------------------------------------------------------------------------------
# References


def _refuse_retrieval(uri: str) -> Resource[Any]:
    """The registry's `retrieve`: what is not in the schema document is never fetched."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs field of a KeyError: mypy misses it


def _document_only_registry() -> Registry[Any]:
    """A registry that knows only what the validator adds to it (the schema document, and the
    meta-schemas jsonschema bundles) and refuses to retrieve anything else. jsonschema's default
    one fetches `http(s)://` and `file://` references with urllib, without a timeout."""
    return Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]  # attrs `retrieve` field


def check_references(schema: dict[str, Any] | bool, cls: type[Validator], schema_name: str) -> None:
    """Refuse, before any record is validated, a `$ref` (`$dynamicRef`, `$recursiveRef`) that
    resolves outside the schema document.

    Inside means a JSON pointer or anchor into the document, or a URI that an `$id` inside the
    document declares (relative references resolve against the `$id`s around them, as the validator
    resolves them). Every subschema is visited as its draft defines them (so a `{"$ref": ...}` that
    is only an `enum` or `examples` value is data, not a reference), and so is every place a
    reference leads to: that place is used as a schema, so it is checked as one first (`check_schema`
    only checks the places its draft defines, not e.g. an unknown keyword a `$ref` points into). A
    reference into the document whose pointer or anchor leads nowhere is left to validation, which
    reports it when a record needs it, as before.
    """
    walk = _ReferenceWalk(schema, cls, schema_name)
    try:
        walk.run()
    except ValueError as exc:  # urljoin on a malformed `$id` or `$ref` such as "http://["
        raise InputError(schema_name, f"an $id or $ref is not a valid URI reference: {exc}") from None


class _ReferenceWalk:
    """The walk of `check_references`: each subschema once, with the resolver (base URI) at it."""

    def __init__(self, schema: dict[str, Any] | bool, cls: type[Validator], schema_name: str) -> None:
        self.cls, self.schema_name = cls, schema_name
        dialect = cls.META_SCHEMA.get("$schema")
        self.specification = referencing.jsonschema.specification_with(
            dialect if isinstance(dialect, str) else "", default=referencing.jsonschema.DRAFT202012
        )
        self.root = self.specification.create_resource(schema)
        self.locations = schema_locations(schema)
        self.seen: set[int] = set()

    def run(self) -> None:
        stack = [(self.root, _document_only_registry().resolver_with_root(self.root))]
        while stack:
            resource, outer = stack.pop()
            if id(resource.contents) in self.seen:
                continue
            self.seen.add(id(resource.contents))
            resolver = outer.in_subresource(resource)
            stack.extend((sub, resolver) for sub in resource.subresources())
            contents = resource.contents
            if isinstance(contents, dict):
                for keyword in _REFERENCE_KEYWORDS:
                    if isinstance(contents.get(keyword), str):
                        stack.extend(self._target(contents, keyword, resolver))

    def _target(self, contents: dict[str, Any], keyword: str, resolver: Resolver[Any]) -> list[_Step]:
        """Where `contents[keyword]` leads (nothing when it leads nowhere), checked as a schema;
        `InputError` when it leads outside the document."""
        ref: str = contents[keyword]
        ref_pointer = self.locations.get(id(contents), "") + json_pointer([keyword])
        try:
            resolved = resolver.lookup(ref)
        except _DANGLING:
            return []
        except Unresolvable:  # no such resource in the document, and the registry retrieves nothing
            message = (
                f"reference {_clip(json.dumps(ref))} is outside this schema; only references inside the "
                "schema document are resolved (nothing is fetched)"
            )
            raise InputError(f"{self.schema_name}:{ref_pointer}", message) from None
        target = resolved.contents
        if id(target) not in self.seen:
            # Where the target is in the file; a scalar (not a schema at all) is named by the reference.
            pointer = self.locations.get(id(target)) if isinstance(target, (dict, list)) else None
            _check_schema(_subschema_class(target, self.cls), target, self.schema_name, pointer or ref_pointer)
        return [(Resource.from_contents(target, default_specification=self.specification), resolved.resolver)]


def _subschema_class(subschema: Any, cls: type[Validator]) -> type[Validator]:
    """The validator class for a subschema, as jsonschema picks it: its own `$schema`, else `cls`."""
    if isinstance(subschema, dict) and isinstance(subschema.get("$schema"), str):
        found: type[Validator] = validator_for(subschema, default=cls)
        return found
    return cls


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
