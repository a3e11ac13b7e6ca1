"""Hostile inputs: what an untrusted records file or schema must not be able to do to a run.

Each test is the regression test of one finding of the hostile-input review: `$ref`s that reach
outside the schema (network, local files), YAML alias bombs, nesting deep enough to exhaust the
stack, and records files whose name has no stem (`..csv`). Every refusal is one `InputError`
(one line `error: <where>: <message>`, exit 1), never a crash, a hang or a leak.
"""

from __future__ import annotations

import json
import socket
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from polygear.core.errors import InputError
from polygear.core.run import RunContext

from schema_validator_app.main import validate_records
from schema_validator_app.run import compute
from schema_validator_app.schemas import load_schema, make_validator

DATA = Path(__file__).resolve().parents[2] / "data"
SCHEMA = DATA / "participant.schema.json"
OUTSIDE = "is outside this schema; only references inside the schema document are resolved (nothing is fetched)"
SECRET = "TOPSECRET-4711"
# Nine levels of nine aliases: 9**9 (~387 million) strings once expanded, from 400 bytes of text.
BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
# Validates any nesting of arrays and objects all the way down (jsonschema recurses once a level).
RECURSIVE = {"type": ["array", "object", "integer"], "items": {"$ref": "#"}, "additionalProperties": {"$ref": "#"}}


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def write_schema(tmp_path: Path, schema: Any, name: str = "s.schema.json") -> Path:
    return write(tmp_path, name, json.dumps(schema))


def refusal(records: Path, schema: Path) -> InputError:
    """The InputError of validating `records` against `schema` (fails the test if there is none)."""
    with pytest.raises(InputError) as info:
        validate_records(records, schema)
    return info.value


def nested(levels: int) -> str:
    """JSON (and YAML flow) text of `levels` arrays one inside the other."""
    return "[" * levels + "]" * levels


# --- $ref resolution stays inside the schema document ------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[socket.socket]:
    """A loopback port whose connections the kernel accepts (listen backlog) and nobody answers:
    a fetch without a timeout hangs on it forever. The default socket timeout is lowered meanwhile,
    so that a regression fails in seconds instead of hanging the test run."""
    server = socket.create_server(("127.0.0.1", 0))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(5)
    try:
        yield server
    finally:
        socket.setdefaulttimeout(previous)
        server.close()


def test_http_ref_is_refused_without_connecting(tmp_path: Path, silent_port: socket.socket) -> None:
    url = f"http://127.0.0.1:{silent_port.getsockname()[1]}/s.json"
    schema = write_schema(tmp_path, {"properties": {"x": {"$ref": url}}})
    records = write(tmp_path, "r.jsonl", '{"x": 1}\n')
    started = time.monotonic()
    error = refusal(records, schema)
    assert time.monotonic() - started < 3
    assert error.where == "s.schema.json:/properties/x/$ref"
    assert error.message == f'reference "{url}" {OUTSIDE}'
    silent_port.setblocking(False)
    with pytest.raises(BlockingIOError):  # nothing ever connected
        silent_port.accept()


def test_file_ref_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.json", json.dumps({"const": SECRET}))
    schema = write_schema(tmp_path, {"properties": {"x": {"$ref": secret.as_uri()}}})
    records = write(tmp_path, "r.jsonl", '{"x": 1}\n')
    error = refusal(records, schema)
    assert (error.where, error.message) == (
        "s.schema.json:/properties/x/$ref",
        f'reference "{secret.as_uri()}" {OUTSIDE}',
    )
    assert SECRET not in str(error)


def test_outside_ref_is_refused_before_any_record_needs_it(tmp_path: Path) -> None:
    # No record has "x", so validation alone would never resolve the reference.
    schema = write_schema(tmp_path, {"$defs": {"unused": {"$ref": "other.schema.json"}}})
    records = write(tmp_path, "r.jsonl", '{"y": 1}\n')
    error = refusal(records, schema)
    assert (error.where, error.message) == (
        "s.schema.json:/$defs/unused/$ref",
        f'reference "other.schema.json" {OUTSIDE}',
    )


@pytest.mark.parametrize(
    ("schema", "where", "ref"),
    [
        # Relative to the root's $id: still another document.
        ({"$id": "https://example.org/root.json", "items": {"$ref": "other.json"}}, "/items/$ref", "other.json"),
        (
            {"items": {"$dynamicRef": "https://example.org/meta#node"}},
            "/items/$dynamicRef",
            "https://example.org/meta#node",
        ),
        # The meta-schemas jsonschema bundles are not part of this document either.
        ({"items": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}, "/items/$ref", None),
        # Draft 7 `definitions`, reached only through a local reference.
        (
            {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "items": {"$ref": "#/definitions/a"},
                "definitions": {"a": {"$ref": "file:///etc/passwd"}},
            },
            "/definitions/a/$ref",
            "file:///etc/passwd",
        ),
        # A keyword jsonschema does not know is walked when a reference leads into it.
        ({"items": {"$ref": "#/custom/a"}, "custom": {"a": {"$ref": "file:///etc/passwd"}}}, "/custom/a/$ref", None),
    ],
)
def test_every_outside_reference_is_refused(
    tmp_path: Path, schema: dict[str, Any], where: str, ref: str | None
) -> None:
    error = refusal(write(tmp_path, "r.jsonl", "[1]\n"), write_schema(tmp_path, schema))
    assert error.where == "s.schema.json:" + where
    assert error.message.endswith(OUTSIDE)
    if ref is not None:
        assert error.message == f'reference "{ref}" {OUTSIDE}'


@pytest.mark.parametrize(
    "schema",
    [
        {"items": {"$ref": "#/$defs/n"}, "$defs": {"n": {"type": "string"}}},
        {"items": {"$ref": "#n"}, "$defs": {"n": {"$anchor": "n", "type": "string"}}},
        # $id-based: an embedded resource, and the root's own absolute URI.
        {
            "$id": "https://example.org/root.json",
            "items": {"$ref": "n.json"},
            "$defs": {"n": {"$id": "n.json", "type": "string"}},
        },
        {
            "$id": "https://example.org/root.json",
            "items": {"$ref": "https://example.org/root.json#/$defs/n"},
            "$defs": {"n": {"type": "string"}},
        },
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "items": {"$ref": "#/definitions/n"},
            "definitions": {"n": {"type": "string"}},
        },
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "id": "https://example.org/root.json",
            "items": {"$ref": "n.json"},
            "definitions": {"n": {"id": "n.json", "type": "string"}},
        },
    ],
)
def test_references_inside_the_document_resolve(tmp_path: Path, schema: dict[str, Any]) -> None:
    result = validate_records(write(tmp_path, "r.jsonl", '["a"]\n[1]\n'), write_schema(tmp_path, schema))
    assert [(v["record"], v["pointer"], v["validator"]) for v in result["violations"]] == [(2, "/0", "type")]


def test_a_ref_that_is_only_data_is_not_a_reference(tmp_path: Path) -> None:
    schema = write_schema(tmp_path, {"enum": [{"$ref": "http://example.org/s.json"}], "examples": [{"$ref": "x"}]})
    result = validate_records(write(tmp_path, "r.jsonl", '{"$ref": "http://example.org/s.json"}\n'), schema)
    assert result["status"] == "valid"


@pytest.mark.parametrize(
    ("target", "where", "message"),
    [
        # check_schema does not look inside keywords it does not know; these crashed validation.
        ({"$schema": 5}, "/custom/a/$schema", "not a valid JSON Schema (type): 5 is not of type 'string'"),
        ({"$id": 5}, "/custom/a/$id", "not a valid JSON Schema (type): 5 is not of type 'string'"),
        ("text", "/items/$ref", "not a valid JSON Schema (type): 'text' is not of type 'object', 'boolean'"),
    ],
)
def test_where_a_reference_leads_is_checked_as_a_schema(tmp_path: Path, target: Any, where: str, message: str) -> None:
    schema = write_schema(tmp_path, {"items": {"$ref": "#/custom/a"}, "custom": {"a": target}})
    error = refusal(write(tmp_path, "r.jsonl", "[1]\n"), schema)
    assert (error.where, error.message) == ("s.schema.json:" + where, message)


def test_the_validator_itself_retrieves_nothing(tmp_path: Path) -> None:
    # Behind the up-front check, the validator's registry refuses too (say the check missed a place).
    secret = write(tmp_path, "secret.json", json.dumps({"const": SECRET}))
    validator = make_validator(load_schema(SCHEMA), SCHEMA.name)
    with pytest.raises(Unresolvable):
        list(validator.evolve(schema={"$ref": secret.as_uri()}).iter_errors(1))


# --- YAML alias bombs ---------------------------------------------------------------------------


def test_billion_laughs_records_are_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    records = write(tmp_path, "bomb.yaml", BILLION_LAUGHS)
    tracemalloc.start()
    started = time.monotonic()
    try:
        error = refusal(records, SCHEMA)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 20 * 2**20
    assert error.where == "bomb.yaml:1"
    assert error.message == "YAML document expands to more than 1000000 nodes through aliases (limit); refusing it"


def test_billion_laughs_schema_is_refused(tmp_path: Path) -> None:
    schema = write(tmp_path, "bomb.schema.yaml", "type: object\n" + BILLION_LAUGHS)
    error = refusal(DATA / "participants.jsonl", schema)
    assert error.where == "bomb.schema.yaml:1"
    assert error.message == "YAML document expands to more than 1000000 nodes through aliases (limit); refusing it"


def test_bomb_in_a_later_document_names_its_line(tmp_path: Path) -> None:
    records = write(tmp_path, "bomb.yml", "id: P0001\nage: 3\nsex: F\n---\n" + BILLION_LAUGHS)
    assert refusal(records, SCHEMA).where == "bomb.yml:5"


def test_too_many_alias_references_are_refused(tmp_path: Path) -> None:
    records = write(tmp_path, "many.yaml", "a: &a x\nb: [" + ", ".join(["*a"] * 10_001) + "]\n")
    error = refusal(records, SCHEMA)
    assert error.where == "many.yaml:2"
    assert error.message == "YAML document has more than 10000 alias references (limit); refusing it"


def test_yaml_that_contains_itself_is_refused(tmp_path: Path) -> None:
    error = refusal(write(tmp_path, "loop.yaml", "id: P0001\n---\n&a [*a]\n"), SCHEMA)
    assert (error.where, error.message) == (
        "loop.yaml:3",
        "YAML document contains itself through an alias; refusing it",
    )


def test_nesting_through_aliases_is_bounded(tmp_path: Path) -> None:
    # Each anchor nests the previous one 100 levels deeper: 300 levels, though no line has more than 100.
    text = "".join(f"a{i}: &a{i} " + "[" * 100 + (f"*a{i - 1}" if i else "1") + "]" * 100 + "\n" for i in range(3))
    error = refusal(write(tmp_path, "deep_alias.yaml", text), SCHEMA)
    assert (error.where, error.message) == (
        "deep_alias.yaml:1",
        "nested more than 200 levels deep through aliases (limit); refusing it",
    )


def test_ordinary_anchors_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    text = (
        "- &base {id: P0001, age: 30, sex: F, visits: &visits [{date: 2024-01-05, score: 10}]}\n"
        "- {<<: *base, id: P0002, visits: *visits}\n"
        "- {<<: *base, id: P0003, age: 300}\n"
    )
    result = validate_records(write(tmp_path, "anchors.yaml", text), SCHEMA)
    assert (result["records"], result["valid_records"]) == (3, 2)
    assert [(v["record"], v["line"], v["pointer"]) for v in result["violations"]] == [(3, 3, "/age")]


# --- Deep nesting -------------------------------------------------------------------------------

TOO_DEEP = "nested more than 200 levels deep (limit); refusing it"


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        # The top-level array is a level too: the record's 200th array is the 201st.
        ("deep.json", f'[\n  {{"id": "P0001"}},\n  {nested(400)}\n]\n', "deep.json:3"),
        ("deep.jsonl", f'{{"id": "P0001"}}\n{nested(400)}\n', "deep.jsonl:2"),
        ("deep.yaml", f"id: P0001\n---\n{nested(400)}\n", "deep.yaml:3"),
        # Block style: the 201st mapping starts on line 201.
        ("block.yaml", "".join("  " * i + "a:\n" for i in range(400)) + "  " * 400 + "1\n", "block.yaml:201"),
        # Far beyond Python's recursion limit (json gives up on its own there).
        ("deeper.jsonl", f"{nested(5000)}\n", "deeper.jsonl:1"),
        ("deeper.json", nested(5000), "deeper.json:1"),
        ("deeper.yaml", nested(5000), "deeper.yaml:1"),
    ],
)
def test_deep_records_are_refused(tmp_path: Path, name: str, content: str, where: str) -> None:
    error = refusal(write(tmp_path, name, content), write_schema(tmp_path, RECURSIVE))
    assert (error.where, error.message) == (where, TOO_DEEP)


def test_deep_csv_cell_is_refused(tmp_path: Path) -> None:
    schema = write_schema(tmp_path, {"properties": {"visits": {"type": "array"}}})
    records = write(tmp_path, "deep.csv", f"id,visits\nP0001,[]\nP0002,{nested(400)}\n")
    error = refusal(records, schema)
    assert (error.where, error.message) == ("deep.csv:3", TOO_DEEP)


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("deep.schema.json", '{\n  "examples": ' + nested(400) + "\n}\n", "deep.schema.json:2"),
        ("deep.schema.json", '{"properties": {"a": ' * 400 + "{}" + "}}" * 400, "deep.schema.json:1"),
        ("deep.schema.yaml", "type: object\nexamples: " + nested(400) + "\n", "deep.schema.yaml:2"),
        (
            "block.schema.yaml",
            "".join("  " * i + "properties:\n" + "  " * (i + 1) + "a:\n" for i in range(0, 400, 2))
            + "  " * 400
            + "{}\n",
            "block.schema.yaml:65",
        ),
    ],
)
def test_deep_schemas_are_refused(tmp_path: Path, name: str, content: str, where: str) -> None:
    error = refusal(DATA / "participants.jsonl", write(tmp_path, name, content))
    assert (error.where, error.message) == (where, "nested more than 64 levels deep (limit); refusing it")


def bottom(levels: int) -> str:
    """`levels` arrays one inside the other, with a float (not an integer) at the bottom."""
    return "[" * (levels - 1) + "[1, 2.5]" + "]" * (levels - 1)


@pytest.mark.parametrize(
    ("name", "content", "record_levels"),
    [
        ("limit.jsonl", bottom(200), 200),
        ("limit.json", bottom(200), 199),  # the top-level array is the list of records
        ("limit.yaml", "a: " + bottom(199), 200),  # a mapping: a document that is a list is a list of records
    ],
)
def test_records_nested_up_to_the_limit_are_validated(
    tmp_path: Path, name: str, content: str, record_levels: int
) -> None:
    result = validate_records(write(tmp_path, name, content + "\n"), write_schema(tmp_path, RECURSIVE))
    # The one violation is the float at the bottom: the validator got all the way down.
    assert [(v["pointer"].count("/"), v["validator"]) for v in result["violations"]] == [(record_levels, "type")]


def test_schema_nested_up_to_the_limit_is_checked(tmp_path: Path) -> None:
    # Draft 2019-09 `items` is the most expensive keyword to check against its meta-schema.
    schema: dict[str, Any] = {"type": "integer"}
    for _ in range(63):
        schema = {"items": schema}
    schema["$schema"] = "https://json-schema.org/draft/2019-09/schema"
    result = validate_records(write(tmp_path, "r.jsonl", "1\n"), write_schema(tmp_path, schema))
    assert result["status"] == "valid"


# --- Records files whose name has no stem ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "report"),
    [
        ("..csv", "records_validation.json"),
        ("...json", "records_validation.json"),
        ("participants.csv", "participants_validation.json"),
        (".hidden.csv", ".hidden_validation.json"),
    ],
)
def test_report_name_for_any_records_file_name(tmp_path: Path, name: str, report: str) -> None:
    source = DATA / ("participants.csv" if name.endswith(".csv") else "participants_valid.json")
    records = write(tmp_path, name, source.read_text(encoding="utf-8"))
    out = tmp_path / "out"
    ctx = RunContext({"format": "auto", "max_errors": 10000}, {"records": records, "schema": SCHEMA}, out, tmp_path)
    short = compute(ctx)
    assert sorted(p.name for p in out.iterdir()) == [report]
    assert json.loads((out / report).read_text(encoding="utf-8"))["records_file"] == name
    assert short["status"] in ("valid", "invalid")
