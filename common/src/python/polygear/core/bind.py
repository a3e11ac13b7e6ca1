"""Binding what a platform hands a tool (parameters, input files) to typed, checked values.

Flywheel validates config.json against the manifest when a job is created, but local runs, KLMS
parameters and hand-edited config files do not pass through Flywheel, so every adapter binds
through this one module before any work: unknown keys, missing required keys, types, enums,
numeric ranges, string patterns, and input files that exist and are readable. Every failure names
the field (`config.delimiter: ...`), with the same words on every platform.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true/false)",
    "array": "a JSON array",
}


def _type_ok(expected: str, value: Any) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if expected == "array":
        return isinstance(value, list)
    return True


def check_value(field: str, spec: dict[str, Any], value: Any) -> Any:
    """Validate one value against its manifest directive; return it normalised (ints stay ints)."""
    expected = spec.get("type", "string")
    if not _type_ok(expected, value):
        raise UserError(field, f"expected {_TYPE_NAMES.get(expected, expected)}, found {json.dumps(value)}")
    if expected == "integer" and isinstance(value, float):
        value = int(value)
    enum = spec.get("enum")
    if enum is not None and value not in enum:
        allowed = ", ".join(json.dumps(v) for v in enum)
        raise UserError(field, f"expected one of {allowed}, found {json.dumps(value)}")
    if expected in ("integer", "number"):
        _check_range(field, spec, value)
    elif expected == "string":
        _check_string(field, spec, value)
    elif expected == "array":
        value = _check_array(field, spec, value)
    return value


def _check_string(field: str, spec: dict[str, Any], value: str) -> None:
    if "minLength" in spec and len(value) < spec["minLength"]:
        raise UserError(field, f"expected at least {spec['minLength']} characters, found {len(value)}")
    if "maxLength" in spec and len(value) > spec["maxLength"]:
        raise UserError(field, f"expected at most {spec['maxLength']} characters, found {len(value)}")
    if "pattern" in spec and re.search(spec["pattern"], value) is None:
        raise UserError(field, f"expected a string matching {spec['pattern']!r}, found {json.dumps(value)}")


def _check_array(field: str, spec: dict[str, Any], value: list[Any]) -> list[Any]:
    low, high = spec.get("minItems"), spec.get("maxItems")
    if low is not None and len(value) < low:
        raise UserError(field, f"expected at least {low} items, found {len(value)}")
    if high is not None and len(value) > high:
        raise UserError(field, f"expected at most {high} items, found {len(value)}")
    item_spec = spec.get("items")
    if isinstance(item_spec, dict):
        return [check_value(f"{field}[{i}]", item_spec, v) for i, v in enumerate(value)]
    return value


def _check_range(field: str, spec: dict[str, Any], value: float) -> None:
    lo, hi = spec.get("minimum"), spec.get("maximum")
    # draft-04 spells exclusivity as booleans beside minimum/maximum; draft-06+ as numbers.
    ex_lo, ex_hi = spec.get("exclusiveMinimum"), spec.get("exclusiveMaximum")
    if isinstance(ex_lo, (int, float)) and not isinstance(ex_lo, bool):
        lo, ex_lo = ex_lo, True
    if isinstance(ex_hi, (int, float)) and not isinstance(ex_hi, bool):
        hi, ex_hi = ex_hi, True
    if lo is not None and (value <= lo if ex_lo else value < lo):
        raise UserError(field, f"expected a value {'>' if ex_lo else '>='} {lo}, found {value}")
    if hi is not None and (value >= hi if ex_hi else value > hi):
        raise UserError(field, f"expected a value {'<' if ex_hi else '<='} {hi}, found {value}")


def defaults(config_spec: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return {k: v["default"] for k, v in config_spec.items() if "default" in v}


def refuse_unknown(
    given: Iterable[str], declared: Iterable[str], where: str, what: str, declares: str = "the manifest declares"
) -> None:
    """One message for every name a platform hands over that the tool does not declare."""
    known = sorted(declared)
    for name in given:
        if name not in known:
            raise UserError(f"{where}.{name}", f"unknown {what} ({declares}: {', '.join(known) or 'none'})")


def bind_parameters(
    config_spec: Mapping[str, dict[str, Any]], given: Mapping[str, Any], where: str = "config"
) -> dict[str, Any]:
    """Return the effective config (defaults filled in) or raise a `UserError` naming the field."""
    refuse_unknown(given, config_spec, where, "config key")
    effective: dict[str, Any] = {}
    for key, spec in config_spec.items():
        if key in given and given[key] is not None:
            effective[key] = check_value(f"{where}.{key}", spec, given[key])
        elif "default" in spec:
            effective[key] = spec["default"]
        elif spec.get("optional"):
            continue
        else:
            raise UserError(f"{where}.{key}", "required config value is missing (no default in the manifest)")
    return effective


def parse_cli_value(field: str, spec: dict[str, Any], raw: str) -> Any:
    """Turn `-c key=value` text into the manifest's declared type, with the same error style."""
    expected = spec.get("type", "string")
    if expected == "string":
        return raw
    if expected == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise UserError(field, f"expected a boolean (true/false), found {raw!r}")
    if expected == "integer":
        try:
            return int(raw)
        except ValueError:
            raise UserError(field, f"expected an integer, found {raw!r}") from None
    if expected == "number":
        try:
            return float(raw)
        except ValueError:
            raise UserError(field, f"expected a number, found {raw!r}") from None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise UserError(field, f"expected a JSON array, found {raw!r}") from None
    return value


def bind_files(spec: ToolSpec, given: Mapping[str, str | Path | None], where: str = "inputs") -> dict[str, Path]:
    """Input name -> readable file path; refuse unknown, missing or unreadable inputs.

    `given` holds local paths (each adapter first turns its platform's input description into one);
    secret inputs (api keys) may be listed too and are skipped here.
    """
    refuse_unknown(given, spec.input_names, where, "input")
    paths: dict[str, Path] = {}
    for name, directive in spec.file_inputs.items():
        raw = given.get(name)
        if raw is None or raw == "":
            if directive.get("optional"):
                continue
            raise UserError(f"{where}.{name}", "required input file is missing")
        path = Path(raw)
        if not path.is_file():
            raise UserError(f"{where}.{name}", f"input file {path} does not exist or is not a file")
        if not os.access(path, os.R_OK):
            raise UserError(f"{where}.{name}", f"input file {path} is not readable")
        paths[name] = path
    return paths


def parse_assignments(items: Sequence[str], flag: str) -> dict[str, str]:
    """`NAME=VALUE` words from a command line (`-c`, `-i`), each name at most once."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(flag, f"expected name=value, found {item!r}")
        if key in out:
            raise UserError(f"{flag} {key}", "given twice")
        out[key] = value
    return out


def config_from_cli(spec: ToolSpec, assignments: dict[str, str]) -> dict[str, Any]:
    """`-c` text typed as the manifest declares, then bound (defaults, enums, bounds) like any config."""
    refuse_unknown(assignments, spec.parameters, "config", "config key")
    given = {key: parse_cli_value(f"config.{key}", spec.parameters[key], raw) for key, raw in assignments.items()}
    return bind_parameters(spec.parameters, given)
