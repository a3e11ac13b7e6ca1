from __future__ import annotations

from typing import Any

import pytest

from polygear.core.bind import bind_parameters, parse_cli_value
from polygear.core.errors import UserError

SPEC: dict[str, dict[str, Any]] = {
    "n": {"type": "integer", "minimum": 1, "default": 3},
    "x": {"type": "number", "exclusiveMinimum": 0},
    "flag": {"type": "boolean", "default": False},
    "names": {"type": "array", "items": {"type": "string"}, "optional": True},
    "opt": {"type": "string", "optional": True},
}


def test_defaults_fill_in_and_optional_may_be_absent() -> None:
    assert bind_parameters(SPEC, {"x": 0.5}) == {"n": 3, "x": 0.5, "flag": False}


def test_integral_floats_are_integers_but_bools_are_not_numbers() -> None:
    assert bind_parameters(SPEC, {"x": 1, "n": 4.0})["n"] == 4
    with pytest.raises(UserError, match=r"config.x: expected a number, found true"):
        bind_parameters(SPEC, {"x": True})


@pytest.mark.parametrize(
    ("given", "where", "message"),
    [
        ({"x": 0}, "config.x", "expected a value > 0, found 0"),
        ({"x": 1, "n": 0}, "config.n", "expected a value >= 1, found 0"),
        ({"x": 1, "names": ["a", 2]}, "config.names[1]", "expected a string, found 2"),
        ({}, "config.x", "required config value is missing (no default in the manifest)"),
    ],
)
def test_errors_name_the_field(given: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(UserError) as err:
        bind_parameters(SPEC, given)
    assert (err.value.where, err.value.message) == (where, message)


def test_cli_values_are_typed_by_the_manifest() -> None:
    assert parse_cli_value("c.n", SPEC["n"], "7") == 7
    assert parse_cli_value("c.flag", SPEC["flag"], "yes") is True
    assert parse_cli_value("c.names", SPEC["names"], '["a","b"]') == ["a", "b"]
    with pytest.raises(UserError, match="c.n: expected an integer, found 'seven'"):
        parse_cli_value("c.n", SPEC["n"], "seven")
    with pytest.raises(UserError, match="c.flag: expected a boolean"):
        parse_cli_value("c.flag", SPEC["flag"], "maybe")
