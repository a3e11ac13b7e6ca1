"""Validate every record of a JSON, JSON Lines, YAML, CSV or TSV file against a JSON Schema.

Invalid records are the *result* of a run, not an error: each violation is reported with the record
number, the source line when the format gives one, and JSON pointers into the record and the schema,
so a curator can fix the data without re-running a validator by hand. Only problems that make the
run meaningless (an unreadable or invalid schema, a records file that cannot be parsed as a whole,
bad encoding, an unknown format) raise `InputError`.

This module validates and reports; `readers` turns each format into records and `schemas` loads and
checks the schema. Knows nothing of Flywheel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from polygear.core.errors import InputError
from polygear.core.jsonfile import write_json_atomic

from schema_validator_app.readers import _Record, iter_records, resolve_format
from schema_validator_app.schemas import _clip, _keyword, json_pointer, load_schema, make_validator, schema_locations

# Validator keyword reported for a record that could not even be turned into a JSON value.
PARSE = "parse"


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


def report_stem(records_path: Path) -> str:
    """The stem `write_report` names the report after: the records file's, or `records` (the input's
    name) when the file name has none. `..csv` has the stem `.` and `...json` the stem `..`, which are
    not names for a file, and `write_report` rightly refuses them."""
    stem = Path(records_path).stem
    return stem if stem.strip(".") else "records"


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth putting in Flywheel file metadata (the full report is a file)."""
    return {key: result[key] for key in ("status", "records", "invalid_records", "violation_count", "schema")}


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
    except RecursionError:  # a backstop: readers bound nesting (MAX_DEPTH), but a schema may recurse more a level
        return [_violation(number, record.line, "", None, PARSE, "record is nested too deeply (or contains itself)")]
    except Unresolvable as exc:
        # Only reached when a record walks into a $ref that `check_references` let through, one that
        # points into the document but at nothing: still the schema's fault, not the data's.
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
