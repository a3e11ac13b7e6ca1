"""Application packages: generated from the manifests, committed, current, and accepted by the
ecosystem's own validators (cwltool, eoap-validator, ap-validator) and the published OGC schemas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from polygear.apppkg import cwl, lint_rules  # noqa: F401  (registers AP001)
from polygear.apppkg.generate import main as generate_main
from polygear.apppkg.generate import package_files
from polygear.apppkg.ogc_schemas import deploy_validator, process_validator
from polygear.apppkg.ogcapppkg import deploy_document, process_description
from polygear.apppkg.paths import REGENERATE, cwl_path, is_tool_manifest, ogcapppkg_path
from polygear.core.errors import UserError
from polygear.core.lint import ToolFacts, lint_tool
from polygear.core.ogc_schema import violations
from polygear.core.spec import ToolSpec
from polygear.dev.apppkg_validate import package_problems
from polygear.testing.specs import specs_or_skip

TOOLS = ("column-report", "csv-profiler", "csv-splitter", "schema-validator")


def manifest(tool: str) -> Path:
    return Path("gears", tool, "src", "docker", "manifest.json")  # the sandbox's cwd is the repo root


def specs() -> Path:
    return specs_or_skip("ogcapi-processes-2.0-draft/dru_ogcapppkg.yaml")


def spec_with(tmp_path: Path, **changes: Any) -> ToolSpec:
    data = json.loads(manifest("csv-profiler").read_text())
    data.update(changes)
    path = tmp_path / "gears" / "t" / "src" / "docker" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return ToolSpec.load(path)


@pytest.mark.parametrize("tool", TOOLS)
def test_committed_package_is_the_generated_one(tool: str) -> None:
    for path, text in package_files(manifest(tool)).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: {REGENERATE}"


@pytest.mark.parametrize("tool", TOOLS)
def test_package_passes_every_validator(tool: str) -> None:
    m = manifest(tool)
    assert package_problems(cwl_path(m, tool), ogcapppkg_path(m, tool), tool, specs()) == []


def test_validators_catch_what_they_should(tmp_path: Path) -> None:
    """A package missing resources and an input doc: eoap-validator and ap-validator both say so."""
    document = cwl.package_for(ToolSpec.load(manifest("csv-profiler")))
    del document["$graph"][1]["requirements"]
    del document["$graph"][0]["inputs"]["bins"]["doc"]
    bad = tmp_path / "bad.cwl"
    bad.write_text(yaml.safe_dump(document, sort_keys=False))
    problems = package_problems(bad, tmp_path / "none.json", "csv-profiler", None)
    assert "eoap-validator " + f"{bad}#csv-profiler: [EOAP.REQ10.DOC] Input bins: doc must be present." in problems
    assert any(p.startswith(f"eoap-validator {bad}#csv-profiler: [SCHEDULING.RESOURCE.ramMax]") for p in problems)
    assert f"ap-validator {bad}: Missing element for CommandLineTool 'csv-profiler-tool': requirements" in problems
    document["$graph"][0]["inputs"]["bins"]["type"] = "integer"  # not a CWL type
    bad.write_text(yaml.safe_dump(document, sort_keys=False))
    [problem] = package_problems(bad, tmp_path / "none.json", "csv-profiler", None)
    assert problem.startswith(f"cwltool --validate {bad}#csv-profiler: ")
    assert "unknown identifier 'integer'" in problem


def test_cwl_shape_for_the_profiler() -> None:
    document = cwl.package_for(ToolSpec.load(manifest("csv-profiler")))
    workflow, tool = document["$graph"]
    assert (workflow["class"], workflow["id"], tool["class"], tool["id"]) == (
        "Workflow",
        "csv-profiler",
        "CommandLineTool",
        "csv-profiler-tool",
    )
    assert document["cwlVersion"] == "v1.2"
    assert document["s:softwareVersion"] == "0.1.0"
    assert document["s:license"] == "MIT"
    assert document["s:author"] == [{"class": "s:Person", "s:name": "polygear contributors"}]
    assert tool["hints"] == {"DockerRequirement": {"dockerPull": "polygear/csv-profiler:0.1.0"}}
    assert "DockerRequirement" not in tool["requirements"]  # a hint, so --no-container runs work
    assert tool["requirements"]["ResourceRequirement"] == {"coresMin": 1, "coresMax": 1, "ramMin": 256, "ramMax": 1024}
    assert tool["baseCommand"] == ["/bin/run"]
    assert tool["arguments"] == ["--output-dir", "$(runtime.outdir)"]
    assert workflow["inputs"]["table"]["type"] == "File"
    assert tool["inputs"]["table"]["inputBinding"] == {"prefix": "-i", "valueFrom": "table=$(self.path)"}
    delimiter = workflow["inputs"]["delimiter"]
    assert delimiter["type"] == ["null", {"type": "enum", "symbols": ["auto", "comma", "tab", "semicolon", "pipe"]}]
    assert delimiter["default"] == "auto"
    assert workflow["inputs"]["top_n"]["type"] == "int?"
    assert workflow["inputs"]["debug"] == {
        "type": "boolean?",
        "label": "Debug",
        "doc": "Log at debug level.",
        "default": False,
    }
    assert tool["outputs"]["profile"]["outputBinding"] == {"glob": "*_profile.json"}
    assert workflow["outputs"]["report"]["outputSource"] == "run/report"
    assert workflow["steps"]["run"]["out"] == ["profile", "report"]


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": "string", "default": "x"}, "string?"),
        ({"type": "integer", "minimum": 1, "maximum": 9, "optional": True}, "int?"),
        ({"type": "integer", "minimum": 1}, "long"),  # unbounded: CWL int is 32 bits
        ({"type": "integer", "minimum": 0, "maximum": 2**40}, "long"),
        ({"type": "number"}, "double"),
        ({"type": "boolean", "default": True}, "boolean?"),
        ({"type": "array", "items": {"type": "integer"}}, {"type": "array", "items": "long"}),
        ({"type": "string", "enum": ["a", "b"]}, {"type": "enum", "symbols": ["a", "b"]}),
    ],
)
def test_parameter_types(directive: dict[str, Any], expected: Any) -> None:
    assert cwl.parameter_type(directive) == expected


def test_resources_come_from_the_manifest(tmp_path: Path) -> None:
    custom = json.loads(manifest("csv-profiler").read_text())["custom"]
    custom["polygear"]["resources"] = {"cores_max": 2, "ram_max_mb": 4096}
    tool = cwl.package_for(spec_with(tmp_path, custom=custom))["$graph"][1]
    assert tool["requirements"]["ResourceRequirement"] == {"coresMin": 1, "coresMax": 2, "ramMin": 256, "ramMax": 4096}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"name": "CSV_Profiler"},
            "name: expected a name of a-z, 0-9 and - (the OGC process id and the CWL Workflow id)",
        ),
        ({"config": {"top-n": {"type": "integer"}}}, "config.top-n: expected a name of letters, digits and _"),
        ({"config": {"n": {"type": "float"}}}, "config.n.type: expected one of string, integer, number"),
    ],
)
def test_names_a_package_cannot_carry(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        cwl.package_for(spec_with(tmp_path, **changes))
    assert message in str(caught.value)


def test_process_description_valid_and_deploy_document_valid() -> None:
    folder = specs()
    spec = ToolSpec.load(manifest("schema-validator"))
    document = deploy_document(spec, cwl.package_for(spec))
    assert violations(deploy_validator(folder), document) == []
    assert violations(process_validator(folder), process_description(spec)) == []
    assert document["executionUnit"]["mediaType"] == "application/cwl+json"
    assert document["processDescription"]["process"]["inputs"]["max_errors"]["minOccurs"] == 0


def test_deploy_schema_refuses_bad_documents() -> None:
    folder = specs()
    spec = ToolSpec.load(manifest("csv-profiler"))
    document = deploy_document(spec, cwl.package_for(spec))
    document["executionUnit"] = {"mediaType": "application/cwl+json"}  # no value, no href
    [problem] = violations(deploy_validator(folder), document)
    assert problem.startswith("executionUnit: no oneOf branch matches (")
    assert "'value' is a required property" in problem
    document = deploy_document(spec, cwl.package_for(spec))
    document["processDescription"]["process"]["inputs"]["bins"]["schema"]["readonly"] = True
    [problem] = violations(deploy_validator(folder), document)
    assert "'readonly' was unexpected" in problem


def test_generate_check_names_stale_files_and_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = spec_with(tmp_path)
    assert generate_main(["--check", str(spec.path)]) == 1
    err = capsys.readouterr().err
    assert f"{cwl_path(spec.path, spec.name)}: missing (not the file generated from {spec.path})" in err
    assert REGENERATE in err
    assert generate_main([str(spec.path)]) == 0
    assert generate_main(["--check", str(spec.path)]) == 0
    text = cwl_path(spec.path, spec.name).read_text()
    assert text.startswith(f"# Generated from {spec.path} by\n")
    assert (
        yaml.safe_load(text) == json.loads(ogcapppkg_path(spec.path, spec.name).read_text())["executionUnit"]["value"]
    )


def test_lint_rule_ap001(tmp_path: Path) -> None:
    spec = spec_with(tmp_path)
    facts = ToolFacts(manifest=spec.path, target_name="csv-profiler")
    [finding] = [f for f in lint_tool(facts) if f.rule == "AP001"][:1]
    assert str(finding).startswith(f"{cwl_path(spec.path, spec.name)}:(file): expected the file generated from")
    assert "found no file [AP001]" in str(finding)
    assert generate_main([str(spec.path)]) == 0
    assert [f for f in lint_tool(facts) if f.rule == "AP001"] == []
    data = json.loads(spec.path.read_text())
    data["config"]["bins"]["default"] = 30
    spec.path.write_text(json.dumps(data))
    found = [str(f) for f in lint_tool(facts) if f.rule == "AP001"]
    assert len(found) == 2 and all("found a stale file [AP001]" in f for f in found)


def test_fixture_manifests_are_not_tools(tmp_path: Path) -> None:
    assert is_tool_manifest(Path("gears/x/src/docker/manifest.json"))
    assert not is_tool_manifest(Path("common/test/data/lint/manifest.json"))
    copy = tmp_path / "manifest.json"
    shutil.copy(manifest("csv-profiler"), copy)
    assert [f for f in lint_tool(ToolFacts(manifest=copy, target_name="x")) if f.rule == "AP001"] == []
