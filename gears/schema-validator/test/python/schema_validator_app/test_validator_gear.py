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
