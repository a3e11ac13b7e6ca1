"""Checking an OGC execute document against the OGC API - Processes 1.0 `execute.yaml`.

The schemas come from a local copy of the specification named by the environment variable
`POLYGEAR_SPECS` (the folder holding `ogcapi-processes-1.0/`, or that folder itself); nothing is
downloaded. Without it the check is skipped with a warning, not failed: the executor's own checks of
every input (against the Method's schemas) still run, and a developer machine need not hold the specs.

One deliberate leniency: 1.0's `oneOf`s overlap. A plain string is both `type: string` and
`binaryInputValue` (a string with `format: byte`), an integer is both `number` and `integer`, so a
strict `oneOf` rejects the most ordinary request (`{"inputs": {"n": 5}}`). OGC made these `anyOf`
later; here every `oneOf` is read as `anyOf` ("at least one branch matches").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from polygear.core.ogc_schema import BASE_URI, load_schemas

SPECS_ENV = "POLYGEAR_SPECS"
SPEC_FOLDER = "ogcapi-processes-1.0"
EXECUTE = "execute.yaml"

log = logging.getLogger(__name__)


def specs_folder() -> Path | None:
    """The folder holding the OGC 1.0 schema files, or None when `POLYGEAR_SPECS` is unset."""
    root = os.environ.get(SPECS_ENV, "").strip()
    if not root:
        return None
    folder = Path(root) / SPEC_FOLDER
    return folder if folder.is_dir() else Path(root)


def _one_of_as_any_of(
    validator: Any, branches: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    errors: list[jsonschema.ValidationError] = []
    for index, branch in enumerate(branches):
        found = list(validator.descend(instance, branch, schema_path=index))
        if not found:
            return
        errors.extend(found)
    yield jsonschema.ValidationError(f"{instance!r} is not valid under any of the given schemas", context=errors)


_LenientDraft4: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft4Validator, {"oneOf": _one_of_as_any_of}
)


@cache
def execute_validator(folder: Path) -> jsonschema.protocols.Validator:
    """A validator for execute documents, every `$ref` resolved from `folder` (loaded once)."""
    resources: list[tuple[str, Resource[Any]]] = [
        (BASE_URI + name, DRAFT4.create_resource(schema)) for name, schema in load_schemas(folder, EXECUTE).items()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    validator: jsonschema.protocols.Validator = _LenientDraft4({"$ref": BASE_URI + EXECUTE}, registry=registry)
    return validator


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most specific reason: under a failed anyOf, the branch error that got furthest."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def execute_violation(document: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) of the first way `document` breaks execute.yaml; None when it conforms or
    when the specs are not available (then a warning says the check was skipped)."""
    folder = specs_folder()
    if folder is None:
        log.warning("%s is not set: the execute document is not checked against OGC %s", SPECS_ENV, EXECUTE)
        return None
    errors = sorted(execute_validator(folder).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    error = errors[0]
    field = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    detail = _deepest(error)
    reason = error.message if detail is error else f"{error.message} ({detail.message})"
    return field, f"does not match OGC {EXECUTE}: {reason}"
