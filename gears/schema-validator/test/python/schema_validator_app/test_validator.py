"""Unit tests for schema_validator_app (main, readers, schemas) against the small real files in test/data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polygear.core.errors import InputError

from schema_validator_app.main import summary, validate_records, write_report
from schema_validator_app.readers import coerce_cell, iter_records
from schema_validator_app.schemas import json_pointer

DATA = Path(__file__).resolve().parents[2] / "data"
SCHEMA = DATA / "participant.schema.json"


def brief(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(record, line, pointer, schema_pointer, validator) of each violation, in report order."""
    return [(v["record"], v["line"], v["pointer"], v["schema_pointer"], v["validator"]) for v in result["violations"]]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- JSON ---------------------------------------------------------------------------------------


def test_valid_json_array() -> None:
    result = validate_records(DATA / "participants_valid.json", SCHEMA)
    assert result == {
        "schema": "participant.schema.json",
        "records_file": "participants_valid.json",
        "format": "json",
        "records": 3,
        "valid_records": 3,
        "invalid_records": 0,
        "violations": [],
        "violation_count": 0,
        "truncated": False,
        "status": "valid",
    }


def test_json_array_items_get_their_start_lines() -> None:
    records = list(iter_records(DATA / "participants_valid.json", "json"))
    assert [r.line for r in records] == [2, 13, 14]
    assert [r.value["id"] for r in records] == ["P0001", "P0002", "P0003"]


def test_invalid_json_array_reports_pointers_through_ref() -> None:
    result = validate_records(DATA / "participants_invalid.json", SCHEMA)
    assert (result["records"], result["valid_records"], result["invalid_records"]) == (2, 1, 1)
    assert result["status"] == "invalid"
    assert brief(result) == [
        (2, 3, "/age", "/properties/age/type", "type"),
        # The schema pointer is where the keyword really is (items is only a $ref to $defs/visit).
        (2, 3, "/visits/1/score", "/$defs/visit/properties/score/minimum", "minimum"),
    ]
    assert result["violations"][0]["message"] == "41.5 is not of type 'integer'"
    assert result["violations"][1]["message"] == "-3 is less than the minimum of 0"


def test_json_single_object_is_one_record(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", '\n\n{"id": "P0001", "age": 200, "sex": "F"}\n')
    result = validate_records(path, SCHEMA)
    assert result["records"] == 1
    assert brief(result) == [(1, 3, "/age", "/properties/age/maximum", "maximum")]


def test_broken_json_file_is_an_input_error_with_line_and_column() -> None:
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants_broken.json", SCHEMA)
    assert info.value.where == "participants_broken.json:3:3"
    assert info.value.message == "invalid JSON: Expecting ',' delimiter"


def test_json_lines_named_json_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.json", '{"id": "P0001"}\n{"id": "P0002"}\n')
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "lines.json:2:1"
    assert "Extra data" in info.value.message and "jsonl" in info.value.message


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_violations_and_parse_error_line() -> None:
    result = validate_records(DATA / "participants.jsonl", SCHEMA)
    assert result["format"] == "jsonl"
    # Six non-blank lines: line 3 is blank and is not a record.
    assert (result["records"], result["valid_records"], result["invalid_records"]) == (6, 2, 4)
    assert brief(result) == [
        (2, 2, "/id", "/properties/id/pattern", "pattern"),
        (3, 4, "/age", "/properties/age/maximum", "maximum"),
        (3, 4, "/sex", "/properties/sex/enum", "enum"),
        (3, 4, "/visits/0/date", "/$defs/visit/properties/date/format", "format"),
        (3, 4, "/visits/1/score", "/$defs/visit/properties/score/type", "type"),
        (4, 5, "", None, "parse"),
        (5, 6, "", "/additionalProperties", "additionalProperties"),
        (5, 6, "", "/required", "required"),
    ]
    assert result["violation_count"] == 8
    assert result["truncated"] is False
    parse = result["violations"][5]
    assert parse["message"] == "invalid JSON at column 89: Expecting ',' delimiter"
    assert result["violations"][3]["message"] == "'2024-02-30' is not a 'date'"
    assert result["violations"][7]["message"] == "'age' is a required property"


def test_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", (DATA / "participants.jsonl").read_text(encoding="utf-8"))
    result = validate_records(path, SCHEMA, data_format="ndjson")
    assert result["format"] == "jsonl"
    assert result["violation_count"] == 8


def test_truncation_keeps_counting() -> None:
    full = validate_records(DATA / "participants.jsonl", SCHEMA)
    result = validate_records(DATA / "participants.jsonl", SCHEMA, max_errors=3)
    assert result["violations"] == full["violations"][:3]
    assert result["truncated"] is True
    assert (result["records"], result["invalid_records"], result["violation_count"]) == (6, 4, 8)
    assert result["status"] == "invalid"


def test_max_errors_zero_and_negative() -> None:
    result = validate_records(DATA / "participants.jsonl", SCHEMA, max_errors=0)
    assert (result["violations"], result["violation_count"], result["truncated"]) == ([], 8, True)
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", SCHEMA, max_errors=-1)
    assert info.value.where == "config.max_errors"


def test_exactly_max_errors_is_not_truncated() -> None:
    result = validate_records(DATA / "participants.jsonl", SCHEMA, max_errors=8)
    assert (len(result["violations"]), result["truncated"]) == (8, False)


def test_jsonl_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", b'{"id": "P0001"}\n\n{"id": "P\xe90002"}\n')
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "bad.jsonl:3"
    assert "0xe9" in info.value.message


def test_json_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", b'[\n  {"id": "P0001"},\n  {"id": "\xff"}\n]\n')
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "bad.json:3"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.jsonl", '\ufeff{"id": "P0001", "age": 3, "sex": "F"}\n'.encode())
    assert validate_records(path, SCHEMA)["status"] == "valid"


# --- YAML ---------------------------------------------------------------------------------------


def test_yaml_multi_document() -> None:
    result = validate_records(DATA / "participants.yaml", SCHEMA)
    assert result["format"] == "yaml"
    # The empty document after the final `---` is not a record; record 1's unquoted date stays a
    # string (no YAML timestamp conversion), so `type: string, format: date` accepts it.
    assert (result["records"], result["valid_records"], result["invalid_records"]) == (4, 2, 2)
    assert brief(result) == [
        (2, 9, "/age", "/properties/age/minimum", "minimum"),
        (3, 13, "/age", "/properties/age/type", "type"),
        (3, 13, "/visits/0", "/$defs/visit/additionalProperties", "additionalProperties"),
    ]
    assert result["violations"][1]["message"] == "'44' is not of type 'integer'"


def test_yaml_single_list_document_is_a_list_of_records() -> None:
    result = validate_records(DATA / "participants_list.yaml", SCHEMA)
    assert (result["records"], result["valid_records"], result["invalid_records"]) == (3, 2, 1)
    assert brief(result) == [(2, 5, "", "/required", "required")]
    assert result["violations"][0]["message"] == "'sex' is a required property"


def test_yaml_lists_in_several_documents_are_one_record_each(tmp_path: Path) -> None:
    path = write(tmp_path, "lists.yml", "- id: P0001\n---\n- id: P0002\n  age: 1\n")
    result = validate_records(path, SCHEMA)
    assert result["records"] == 2
    assert brief(result) == [(1, 1, "", "/type", "type"), (2, 3, "", "/type", "type")]


def test_yaml_explicit_null_document_is_a_record(tmp_path: Path) -> None:
    path = write(tmp_path, "nulls.yaml", "---\nnull\n---\n")
    result = validate_records(path, SCHEMA)
    assert result["records"] == 1
    assert brief(result) == [(1, 2, "", "/type", "type")]


def test_invalid_yaml_records_file_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "id: P0001\nage: 3\n---\nid: [P0002\nage: 4\n")
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "bad.yaml:5"
    assert info.value.message == "invalid YAML: expected ',' or ']', but got ':'"


def test_yaml_forbidden_character_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ctl.yaml", 'id: P0001\nage: 3\n---\nid: "a\x07b"\n')
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "ctl.yaml:4"
    assert info.value.message == "invalid YAML: special characters are not allowed (character #x0007)"


# --- CSV / TSV ----------------------------------------------------------------------------------


def test_csv_rows_coercion_and_lines() -> None:
    result = validate_records(DATA / "participants.csv", SCHEMA)
    assert result["format"] == "csv"
    assert (result["records"], result["valid_records"], result["invalid_records"]) == (8, 3, 5)
    assert brief(result) == [
        (2, 3, "/age", "/properties/age/type", "type"),
        (3, 4, "", "/required", "required"),  # empty age cell = property absent
        (3, 4, "/consented", "/properties/consented/type", "type"),
        (3, 4, "/email", "/properties/email/format", "format"),
        (3, 4, "/visits/0/score", "/$defs/visit/properties/score/maximum", "maximum"),  # JSON text cell
        (5, 6, "/visits", "/properties/visits/type", "type"),  # not JSON: kept as the string
        (6, 7, "", None, "parse"),  # ragged row
        (8, 10, "/sex", "/properties/sex/enum", "enum"),  # after a row spanning lines 8-9
    ]
    messages = [v["message"] for v in result["violations"]]
    assert messages[0] == "'abc' is not of type 'integer'"
    assert messages[2] == "'maybe' is not of type 'boolean'"
    assert messages[5] == "'[not json' is not of type 'array'"
    assert messages[6] == "expected 6 fields like the header, found 3"


def test_csv_cells_become_typed_values() -> None:
    records = list(iter_records(DATA / "participants.csv", "csv", json.loads(SCHEMA.read_text(encoding="utf-8"))))
    assert records[0].line == 2
    assert records[0].value == {
        "id": "P0401",
        "age": 34,
        "sex": "F",
        "email": "ana@example.org",
        "consented": True,
        "visits": [{"date": "2024-01-15", "score": 71.5}],
    }
    assert records[3].value == {"id": "P0404", "age": 45, "sex": "M"}
    assert records[4].value["age"] == 12 and records[4].value["consented"] is True
    assert records[6].line == 8 and records[6].value["visits"] == [{"date": "2024-06-01", "score": 10}]


def test_tsv_by_extension() -> None:
    result = validate_records(DATA / "participants.tsv", SCHEMA)
    assert result["format"] == "tsv"
    assert (result["records"], result["invalid_records"]) == (2, 1)
    assert brief(result) == [(2, 3, "/age", "/properties/age/type", "type")]
    assert result["violations"][0]["message"] == "3.5 is not of type 'integer'"


@pytest.mark.parametrize(
    ("cell", "types", "expected"),
    [
        ("42", ["integer"], 42),
        (" -7 ", ["integer"], -7),
        ("3.0", ["integer"], 3.0),
        ("abc", ["integer"], "abc"),
        ("2.5e1", ["number"], 25.0),
        ("1_000", ["number"], "1_000"),
        ("nan", ["number"], "nan"),
        ("1e400", ["number"], "1e400"),
        ("TRUE", ["boolean"], True),
        ("false", ["boolean"], False),
        ("yes", ["boolean"], "yes"),
        ("null", ["null"], None),
        ("null", ["integer", "null"], None),
        ("5", ["integer", "null"], 5),
        ("007", ["string", "integer"], "007"),
        ('{"a": 1}', ["object"], {"a": 1}),
        ("[1, 2]", ["object"], "[1, 2]"),
        ("[1, 2]", ["array"], [1, 2]),
        ("42", [], "42"),
    ],
)
def test_coerce_cell(cell: str, types: list[str], expected: Any) -> None:
    value = coerce_cell(cell, types)
    assert value == expected and type(value) is type(expected)


def test_csv_duplicate_header_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", "\nid,age,id\nP0001,3,P0002\n")
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "dup.csv:2"
    assert "'id' twice" in info.value.message


def test_csv_non_utf8_names_the_line(tmp_path: Path) -> None:
    latin1 = "id,age,sex\nP0001,3,F\nP0002,4,F\nJos\u00e9,5,M\n".encode("latin-1")
    path = write(tmp_path, "latin1.csv", latin1)
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "latin1.csv:4"


def test_csv_unclosed_quote_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "quote.csv", 'id,age\nP0001,"3\nP0002,4\n')
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "quote.csv:3"
    assert info.value.message == "malformed CSV: unexpected end of data"


# --- Pointers -----------------------------------------------------------------------------------


def test_json_pointer_escaping() -> None:
    assert json_pointer([]) == ""
    assert json_pointer(["visits", 1, "score"]) == "/visits/1/score"
    assert json_pointer(["a/b", "m~n", "~/"]) == "/a~1b/m~0n/~0~1"
    assert json_pointer([""]) == "/"


def test_pointers_escape_slash_and_tilde_in_keys(tmp_path: Path) -> None:
    schema = write(
        tmp_path,
        "odd.schema.json",
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "a/b": {"type": "integer"},
                    "m~n": {"type": "object", "properties": {"x/y~z": {"type": "string"}}},
                },
            }
        ),
    )
    records = write(tmp_path, "odd.json", json.dumps({"a/b": "one", "m~n": {"x/y~z": 1}}))
    result = validate_records(records, schema)
    assert brief(result) == [
        (1, 1, "/a~1b", "/properties/a~1b/type", "type"),
        (1, 1, "/m~0n/x~1y~0z", "/properties/m~0n/properties/x~1y~0z/type", "type"),
    ]


# --- Schemas ------------------------------------------------------------------------------------


def test_broken_schema_names_the_bad_keyword() -> None:
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", DATA / "broken.schema.json")
    assert info.value.where == "broken.schema.json:/properties/age/minimum"
    assert info.value.message == "not a valid JSON Schema (type): 'zero' is not of type 'number'"


def test_yaml_schema_gives_the_same_report_as_json_schema() -> None:
    from_json = validate_records(DATA / "participants.csv", SCHEMA)
    from_yaml = validate_records(DATA / "participants.csv", DATA / "participant.schema.yaml")
    assert from_yaml["schema"] == "participant.schema.yaml"
    assert from_yaml["violations"] == from_json["violations"]


def test_schema_not_json(tmp_path: Path) -> None:
    schema = write(tmp_path, "s.json", '{\n  "type": "object",\n  "required": ["id",]\n}\n')
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", schema)
    assert info.value.where == "s.json:3:21"
    assert info.value.message.startswith("invalid JSON: ")


def test_schema_not_yaml(tmp_path: Path) -> None:
    schema = write(tmp_path, "s.yaml", "type: object\nrequired: [id\nproperties: {}\n")
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", schema)
    assert info.value.where.startswith("s.yaml:")
    assert info.value.message.startswith("invalid YAML: ")


@pytest.mark.parametrize(("text", "found"), [("[]", "array"), ('"object"', "string"), ("", None)])
def test_schema_must_be_an_object(tmp_path: Path, text: str, found: str | None) -> None:
    schema = write(tmp_path, "s.json", text)
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", schema)
    assert info.value.where == "s.json"
    assert (found or "empty") in info.value.message


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", tmp_path / "nope.json")
    assert (info.value.where, info.value.message) == ("nope.json", "file not found")


def test_unknown_schema_draft(tmp_path: Path) -> None:
    schema = write(tmp_path, "s.json", '{"$schema": "https://example.org/my-draft", "type": "object"}')
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", schema)
    assert info.value.where == "s.json:/$schema"


def test_schema_draft_is_honoured(tmp_path: Path) -> None:
    # Draft 7 `items` as an array is tuple validation; the same schema is invalid under 2020-12.
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "items": [{"type": "integer"}]}
    schema = write(tmp_path, "tuple.schema.json", json.dumps(draft7))
    records = write(tmp_path, "rows.jsonl", '[1, "x"]\n["y"]\n')
    result = validate_records(records, schema)
    assert brief(result) == [(2, 2, "/0", "/items/0/type", "type")]
    del draft7["$schema"]
    schema.write_text(json.dumps(draft7), encoding="utf-8")
    with pytest.raises(InputError) as info:
        validate_records(records, schema)
    assert info.value.where == "tuple.schema.json:/items"


def test_unresolvable_ref_is_the_schemas_fault(tmp_path: Path) -> None:
    schema = write(tmp_path, "s.json", '{"properties": {"a": {"$ref": "#/$defs/missing"}}}')
    records = write(tmp_path, "r.jsonl", '{"b": 1}\n{"a": 1}\n')
    with pytest.raises(InputError) as info:
        validate_records(records, schema)
    assert info.value.where == "s.json"
    assert info.value.message.startswith("cannot resolve a $ref: '/$defs/missing' not found")


def test_false_subschema(tmp_path: Path) -> None:
    schema = write(tmp_path, "s.json", '{"properties": {"secret": false}}')
    records = write(tmp_path, "r.jsonl", '{"secret": 1}\n')
    result = validate_records(records, schema)
    # jsonschema leaves the last step out of both paths for a false subschema; only assert what is ours.
    assert [(v["record"], v["line"], v["validator"]) for v in result["violations"]] == [(1, 1, "false")]
    assert result["violations"][0]["message"] == "False schema does not allow 1"


# --- Empty files, formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", ""),
        ("empty2.json", "  []\n"),
        ("empty.jsonl", "\n\n"),
        ("empty.yaml", "# nothing here\n"),
        ("empty.csv", ""),
        ("header_only.csv", "id,age,sex\n"),
    ],
)
def test_empty_records_file_has_status_empty(tmp_path: Path, name: str, content: str) -> None:
    result = validate_records(write(tmp_path, name, content), SCHEMA)
    assert (result["status"], result["records"], result["violations"]) == ("empty", 0, [])


def test_unknown_format() -> None:
    with pytest.raises(InputError) as info:
        validate_records(DATA / "participants.jsonl", SCHEMA, data_format="xml")
    assert info.value.where == "config.format"
    assert "found 'xml'" in info.value.message


def test_auto_format_needs_a_known_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "records.dat", "{}\n")
    with pytest.raises(InputError) as info:
        validate_records(path, SCHEMA)
    assert info.value.where == "config.format"
    assert ".dat" in info.value.message


# --- Report -------------------------------------------------------------------------------------


def test_write_report_is_valid_json(tmp_path: Path) -> None:
    result = validate_records(DATA / "participants.jsonl", SCHEMA)
    out = tmp_path / "out"
    path = write_report(result, out, "participants")
    assert path == out / "participants_validation.json"
    assert json.loads(path.read_text(encoding="utf-8")) == result
    assert sorted(p.name for p in out.iterdir()) == ["participants_validation.json"]  # no temp file left


def test_summary() -> None:
    result = validate_records(DATA / "participants.yaml", SCHEMA)
    assert summary(result) == {
        "status": "invalid",
        "records": 4,
        "invalid_records": 2,
        "violation_count": 3,
        "schema": "participant.schema.json",
    }
