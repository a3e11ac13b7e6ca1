"""schema-validator through its built pex and image, the way Flywheel runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polygear.testing.flywheel import run_image, run_pex
from polygear.testing.images import build_tool_image, container_engine, tool_pex

MANIFEST = Path("gears/schema-validator/src/docker/manifest.json")
TOOL = "schema-validator"
DATA = Path(__file__).resolve().parents[2] / "data"


def test_invalid_records_are_a_result_with_metadata(tmp_path: Path) -> None:
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={DATA / 'participants.jsonl'}", f"schema={DATA / 'participant.schema.json'}"],
    )
    assert run.returncode == 0, run.stderr
    assert run.outputs() == [".metadata.json", "participants_validation.json"]
    report = json.loads((run.output_dir / "participants_validation.json").read_text())
    assert report["status"] == "invalid"
    assert report["invalid_records"] > 0
    assert all({"record", "line", "pointer", "message"} <= v.keys() for v in report["violations"])
    meta = json.loads((run.output_dir / ".metadata.json").read_text())
    (entry,) = meta["acquisition"]["files"]
    assert entry["name"] == "participants.jsonl"
    assert entry["tags"] == ["schema-invalid"]
    assert entry["info"]["schema_validation"]["status"] == "invalid"
    assert entry["info"]["schema_validation"]["violation_count"] == report["violation_count"]


def test_valid_records(tmp_path: Path) -> None:
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        ["format=json"],
        [f"records={DATA / 'participants_valid.json'}", f"schema={DATA / 'participant.schema.yaml'}"],
    )
    assert run.returncode == 0, run.stderr
    report = json.loads((run.output_dir / "participants_valid_validation.json").read_text())
    assert (report["status"], report["violation_count"]) == ("valid", 0)


def test_broken_schema_is_a_user_error_without_outputs(tmp_path: Path) -> None:
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={DATA / 'participants.csv'}", f"schema={DATA / 'broken.schema.json'}"],
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith("error: broken.schema.json:")
    assert run.outputs() == []


def test_ref_outside_the_schema_is_a_user_error_and_nothing_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"const": "TOPSECRET-4711"}), encoding="utf-8")
    schema = tmp_path / "leaky.schema.json"
    schema.write_text(json.dumps({"properties": {"id": {"$ref": secret.as_uri()}}}), encoding="utf-8")
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={DATA / 'participants.jsonl'}", f"schema={schema}"],
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f'error: leaky.schema.json:/properties/id/$ref: reference "{secret.as_uri()}" is outside this schema; '
        "only references inside the schema document are resolved (nothing is fetched)"
    )
    assert "TOPSECRET-4711" not in run.stdout + run.stderr
    assert run.outputs() == []


def test_yaml_alias_bomb_is_a_user_error_without_outputs(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    levels = [("a", ", ".join(["lol"] * 9))] + [
        (b, ", ".join([f"*{a}"] * 9)) for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    bomb.write_text("".join(f"{name}: &{name} [{items}]\n" for name, items in levels), encoding="utf-8")
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={bomb}", f"schema={DATA / 'participant.schema.json'}"],
        timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: bomb.yaml:1: YAML document expands to more than 1000000 nodes through aliases (limit); refusing it"
    )
    assert run.outputs() == []


def test_deeply_nested_schema_is_a_user_error_not_a_crash(tmp_path: Path) -> None:
    schema = tmp_path / "deep.schema.json"
    schema.write_text('{"properties": {"a": ' * 400 + "{}" + "}}" * 400, encoding="utf-8")
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={DATA / 'participants.jsonl'}", f"schema={schema}"],
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: deep.schema.json:1: nested more than 64 levels deep (limit); refusing it"
    )
    assert run.outputs() == []


def test_records_file_without_a_stem_gets_a_report(tmp_path: Path) -> None:
    records = tmp_path / "..csv"
    records.write_bytes((DATA / "participants.csv").read_bytes())
    run = run_pex(
        tool_pex(TOOL),
        MANIFEST,
        tmp_path,
        [],
        [f"records={records}", f"schema={DATA / 'participant.schema.json'}"],
    )
    assert run.returncode == 0, run.stderr
    assert run.outputs() == [".metadata.json", "records_validation.json"]
    report = json.loads((run.output_dir / "records_validation.json").read_text())
    assert (report["records_file"], report["format"], report["status"]) == ("..csv", "csv", "invalid")
    meta = json.loads((run.output_dir / ".metadata.json").read_text())
    (entry,) = meta["acquisition"]["files"]
    assert entry["name"] == "..csv"
    assert entry["tags"] == ["schema-invalid"]


def test_image(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/schema-validator:under-test"
    build_tool_image(engine, "schema-validator", tag)
    run = run_image(
        engine,
        tag,
        MANIFEST,
        tmp_path,
        [],
        [f"records={DATA / 'participants.yaml'}", f"schema={DATA / 'participant.schema.json'}"],
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs() == [".metadata.json", "participants_validation.json"]


def test_the_ccp_method_gives_the_same_outputs_as_the_flywheel_run(tmp_path: Path) -> None:
    """ccp_methods/schema-validator.json through the local CCP executor (fetch by URL, /bin/run = this pex)."""
    from polygear.testing.ccp import run_method_locally

    files = {"records": DATA / "participants.jsonl", "schema": DATA / "participant.schema.json"}
    flywheel = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "fw", [], [f"{k}={v}" for k, v in files.items()])
    assert flywheel.returncode == 0, flywheel.stderr
    out = run_method_locally(
        Path("ccp_methods/schema-validator.json"), tool_pex(TOOL), MANIFEST, tmp_path / "ccp", {}, files
    )
    assert sorted(p.name for p in out.iterdir()) == [n for n in flywheel.outputs() if n != ".metadata.json"]
    name = "participants_validation.json"
    ccp, fw = json.loads((out / name).read_text()), json.loads((flywheel.output_dir / name).read_text())
    assert (ccp["status"], ccp["violation_count"], ccp["violations"]) == (
        fw["status"],
        fw["violation_count"],
        fw["violations"],
    )
