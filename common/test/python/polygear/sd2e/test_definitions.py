"""Pipeline definitions: each lint rule with a failing and a passing case; the shipped pipelines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from polygear.lint import main as lint_main
from polygear.sd2e.definition import check, tools_by_image
from polygear.testing.specs import specs_or_skip

TOOLS = tools_by_image(sorted(Path("gears").glob("*/src/docker/manifest.json")))
SD2E_SCHEMA = "sd2e-pipeline.schema.json"
SHIPPED = sorted(Path("pipelines").glob("*.yaml"))


def sd2e_schema() -> dict[str, Any]:
    return json.loads((specs_or_skip(SD2E_SCHEMA) / SD2E_SCHEMA).read_text())


def good() -> dict[str, Any]:
    return yaml.safe_load(Path("pipelines/csv-quality.yaml").read_text())


def problems(tmp_path: Path, document: dict[str, Any]) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(document))
    return [str(p).replace(f"{path}:", "") for p in check(path, TOOLS, sd2e_schema())[1]]


def test_shipped_pipelines_have_no_problems() -> None:
    assert len(SHIPPED) == 2
    for path in SHIPPED:
        pipeline, found = check(path, TOOLS, sd2e_schema())
        assert found == [] and pipeline is not None, found


def test_sd001_schema(tmp_path: Path) -> None:
    doc = {**good(), "processing_levels": ["9"], "colour": "red"}
    found = problems(tmp_path, doc)
    assert any(p.endswith("[SD001]") and p.startswith("(document):") and "'colour' was unexpected" in p for p in found)
    assert any(p.startswith("processing_levels.0:") and "'9' is not one of" in p for p in found)
    assert problems(tmp_path, good()) == []  # `id` is allowed besides SD2E's schema


def test_sd002_unknown_component_shape_names_its_index(tmp_path: Path) -> None:
    doc = good()
    doc["components"][1] = {"repo": "polygear/csv-splitter:0.1.0", "options": {"column": "site"}, "colour": "red"}
    found = problems(tmp_path, doc)
    assert any(
        p.startswith("components[1]: expected the keys of exactly one SD2E component type")
        and p.endswith('found ["colour", "options", "repo"] [SD002]')
        for p in found
    ), found


def test_sd003_tool_must_exist_at_that_version(tmp_path: Path) -> None:
    doc = good()
    doc["components"][2]["repo"] = "polygear/csv-profiler:9.9.9"
    found = problems(tmp_path, doc)
    assert any(
        p.startswith("components[2].repo: expected the image of a tool of this repository (")
        and p.endswith("found polygear/csv-profiler:9.9.9 [SD003]")
        for p in found
    ), found


def test_sd004_options_must_be_valid_parameters(tmp_path: Path) -> None:
    doc = good()
    doc["components"][2]["options"]["bins"] = 1
    doc["components"][1]["options"] = {}
    found = problems(tmp_path, doc)
    assert "components[2].options.bins: expected a value >= 2, found 1 [SD004]" in found, found
    assert (
        "components[1].options.column: expected a valid csv-splitter parameter, found required config value is "
        "missing (no default in the manifest) [SD004]"
    ) in found, found


@pytest.mark.parametrize(
    ("wiring", "expected"),
    [
        (
            [{"records": "table", "schema": "schema"}, {"table": "table"}, {"table": "1.parts"}],
            "__options.wiring[2].table: expected scatter: true (the source is File[], the input one File), found File[] into File [SD005]",
        ),
        (
            [
                {"records": "table", "schema": "schema"},
                {"table": {"from": "2.profile", "scatter": True}},
                {"table": {"from": "1.parts", "scatter": True}},
            ],
            "__options.wiring[1].table: expected an earlier step's output (steps run in order; this is step 1), found 2.profile [SD005]",
        ),
        (
            [{"records": "table"}, {"table": "table"}, {"table": {"from": "1.parts", "scatter": True}}],
            "__options.wiring[0].schema: expected a source for schema-validator's required input, found none [SD005]",
        ),
        (
            [
                {"records": "table", "schema": "schema", "colour": "table"},
                {"table": "table"},
                {"table": {"from": "1.parts", "scatter": True}},
            ],
            "__options.wiring[0].colour: expected a file input of schema-validator (records, schema), found colour [SD005]",
        ),
        (
            [
                {"records": "tabel", "schema": "schema"},
                {"table": "table"},
                {"table": {"from": "1.parts", "scatter": True}},
            ],
            "__options.wiring[0].records: expected a pipeline input (schema, table) or STEP.OUTPUT, found tabel [SD005]",
        ),
        (
            [
                {"records": "table", "schema": "schema"},
                {"table": "table"},
                {"table": {"from": "1.chunks", "scatter": True}},
            ],
            "__options.wiring[2].table: expected an output of step 1 (csv-splitter: parts), found chunks [SD005]",
        ),
    ],
)
def test_sd005_wiring(tmp_path: Path, wiring: list[Any], expected: str) -> None:
    doc = good()
    doc["__options"]["wiring"] = wiring
    assert expected in problems(tmp_path, doc)


def test_lint_runner_reports_pipeline_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    doc = good()
    doc["components"][2]["repo"] = "polygear/nope:1.0.0"
    (folder / "bad.yaml").write_text(yaml.safe_dump(doc))
    jobs = [
        {"manifest": str(p), "target_name": p.parent.parent.parent.name}
        for p in sorted(Path("gears").glob("*/src/docker/manifest.json"))
    ]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(jobs))
    assert lint_main(["--spec", str(spec), "--pipelines", str(folder)]) == 1
    out = capsys.readouterr()
    assert f"{folder / 'bad.yaml'}:components[2].repo: expected the image of a tool of this repository" in out.out
    assert "and 1 pipeline(s)" in out.err
