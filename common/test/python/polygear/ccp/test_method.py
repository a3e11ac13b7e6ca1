"""CCP Methods: valid OGC API Processes 1.0, stable ids, committed copies current, scripts that quote safely."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from polygear.ccp import lint_rules  # noqa: F401  (registers CCP001)
from polygear.ccp.generate import main as generate_main
from polygear.ccp.method import (
    IMAGE_INPUT,
    INFRASTRUCTURE,
    METHODS_DIR,
    REGENERATE,
    method_for,
    method_id,
    render,
)
from polygear.core.errors import UserError
from polygear.core.lint import REGISTRY, ToolFacts, lint_tool
from polygear.core.ogc_process import parameter_schema
from polygear.core.ogc_schema import load_schemas, process_validator, violations
from polygear.core.spec import ToolSpec

TOOLS = ("column-report", "csv-splitter", "csv-profiler", "schema-validator")
SPECS_ENV = "POLYGEAR_SPECS"
OGC_DIR = "ogcapi-processes-1.0"


def manifest(tool: str) -> Path:
    return Path("gears", tool, "src", "docker", "manifest.json")  # the sandbox's cwd is the repo root


def spec(tool: str) -> ToolSpec:
    return ToolSpec.load(manifest(tool))


def edited(tool: str, edit: Any) -> ToolSpec:
    base = spec(tool)
    data = copy.deepcopy(base.data)
    edit(data)
    return ToolSpec(base.path, data)


def scripts(method: dict[str, Any]) -> dict[str, list[str]]:
    return {p["name"]: p["value"] for p in method["additionalParameters"]["parameters"]}


def ogc_folder() -> Path:
    """The OGC 1.0 schemas: $POLYGEAR_SPECS, else `shared/specs` beside an ancestor of this file."""
    given = os.environ.get(SPECS_ENV)
    if given:
        folder = Path(given) / OGC_DIR
        if not (folder / "process.yaml").is_file():
            pytest.fail(f"{SPECS_ENV}={given}: expected a specs folder holding {OGC_DIR}/process.yaml")
        return folder
    for ancestor in Path(__file__).resolve().parents:
        folder = ancestor / "shared" / "specs" / OGC_DIR
        if (folder / "process.yaml").is_file():
            return folder
    pytest.skip(f"OGC API Processes 1.0 schemas not found: set {SPECS_ENV} to the folder holding {OGC_DIR}/")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    return process_validator(ogc_folder())


# (a) and (b): OGC API Processes 1.0 accepts every generated Method and refuses the doc's readonly spelling


def test_process_yaml_refs_all_resolve() -> None:
    loaded = load_schemas(ogc_folder())
    for name in ("processSummary.yaml", "inputDescription.yaml", "outputDescription.yaml", "schema.yaml"):
        assert name in loaded


@pytest.mark.parametrize("tool", TOOLS)
def test_generated_method_is_a_valid_process(tool: str, validator: jsonschema.Draft4Validator) -> None:
    assert violations(validator, method_for(spec(tool))) == []


def test_readonly_string_as_in_the_ccp_doc_is_refused(validator: jsonschema.Draft4Validator) -> None:
    method = method_for(spec("csv-splitter"))
    # The CCP documentation's JDK example spells it this way; OGC 1.0's schema object is closed.
    method["inputs"][IMAGE_INPUT]["schema"] = {
        "type": "string",
        "format": "url",
        "contentMediaType": "text/plain",
        "default": "nubisware/ccp-jdk8-jammy:latest",
        "readonly": "true",
    }
    found = violations(validator, method)
    assert len(found) == 1
    assert found[0].startswith(f"inputs.{IMAGE_INPUT}.schema: no oneOf branch matches")
    assert "'readonly' was unexpected" in found[0]


def test_draft6_exclusive_bound_is_refused(validator: jsonschema.Draft4Validator) -> None:
    """OGC 1.0 is OpenAPI 3.0: exclusiveMinimum is a flag; a number is refused (hence parameter_schema's mapping)."""
    method = method_for(spec("csv-profiler"))
    method["inputs"]["bins"]["schema"]["exclusiveMinimum"] = 2
    assert violations(validator, method) == [
        "inputs.bins.schema: no oneOf branch matches ('$ref' is a required property; 2 is not of type 'boolean')"
    ]


# (c) ids


def test_id_is_stable_across_versions_and_differs_across_tools() -> None:
    first = method_for(spec("csv-splitter"))
    bumped = method_for(edited("csv-splitter", lambda d: d.update(version="9.9.9")))
    assert bumped["version"] == "9.9.9"
    assert bumped["id"] == first["id"] == method_id("csv-splitter")
    assert uuid.UUID(first["id"]).version == 5
    ids = {method_for(spec(t))["id"] for t in TOOLS}
    assert len(ids) == len(TOOLS)


# (d) the committed Methods


@pytest.mark.parametrize("tool", TOOLS)
def test_committed_method_is_the_generated_one(tool: str) -> None:
    committed = Path(METHODS_DIR, f"{tool}.json").read_text(encoding="utf-8")
    assert committed == render(method_for(spec(tool))), f"stale: run {REGENERATE}"


# (e) generate --check


def test_generate_check_names_stale_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "methods"
    args = ["--out", str(out), *(str(manifest(t)) for t in TOOLS)]
    assert generate_main(args) == 0
    assert generate_main(["--check", *args]) == 0
    (out / "csv-splitter.json").write_text("{}\n")
    (out / "schema-validator.json").unlink()
    capsys.readouterr()
    assert generate_main(["--check", *args]) == 1
    err = capsys.readouterr().err
    assert f"{out}/csv-splitter.json: stale (not the file generated from {manifest('csv-splitter')})" in err
    assert f"{out}/schema-validator.json: missing" in err
    assert "csv-profiler.json" not in err
    assert f"2 CCP Method(s) out of date; regenerate with:\n  {REGENERATE}" in err
    assert (out / "csv-splitter.json").read_text() == "{}\n"  # --check writes nothing


def test_generate_refuses_a_manifest_it_cannot_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(manifest("csv-splitter").read_text())
    data["config"]["ccpnote"] = {"type": "string", "default": ""}
    bad = tmp_path / "manifest.json"
    bad.write_text(json.dumps(data))
    assert generate_main(["--out", str(tmp_path / "m"), str(bad)]) == 1
    assert "config.ccpnote: expected a name not starting with 'ccp'" in capsys.readouterr().err
    assert not (tmp_path / "m" / "csv-splitter.json").exists()


# (f) lint rule CCP001


def ccp001(manifest_path: Path) -> list[str]:
    facts = ToolFacts(manifest=manifest_path, target_name="csv-splitter")
    return [str(f) for f in lint_tool(facts, [REGISTRY["CCP001"]])]


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A repository root holding one tool and a ccp_methods folder, as the working directory."""
    target = tmp_path / manifest("csv-splitter")
    target.parent.mkdir(parents=True)
    shutil.copyfile(manifest("csv-splitter"), target)
    (tmp_path / METHODS_DIR).mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_ccp001_flags_a_stale_method(repo: Path) -> None:
    Path(METHODS_DIR, "csv-splitter.json").write_text(
        render(method_for(spec("csv-splitter"))).replace("0.1.0", "0.0.9")
    )
    assert ccp001(manifest("csv-splitter")) == [
        "ccp_methods/csv-splitter.json:(file): expected the Method generated from "
        f"gears/csv-splitter/src/docker/manifest.json (run: {REGENERATE}), found a stale file [CCP001]"
    ]


def test_ccp001_flags_a_missing_method_and_passes_a_current_one(repo: Path) -> None:
    assert ccp001(manifest("csv-splitter"))[0].endswith("found no file [CCP001]")
    Path(METHODS_DIR, "csv-splitter.json").write_text(render(method_for(spec("csv-splitter"))))
    assert ccp001(manifest("csv-splitter")) == []
    assert ccp001(repo / manifest("csv-splitter")) == []  # an absolute manifest path finds the same root


def test_ccp001_is_silent_without_a_ccp_methods_folder(tmp_path: Path) -> None:
    lone = tmp_path / "manifest.json"
    shutil.copyfile(manifest("csv-splitter"), lone)
    assert ccp001(lone) == []


def test_ccp001_ignores_manifests_outside_gears(repo: Path) -> None:
    fixture = Path("common/test/data/lint/manifest.json")  # the lint tests' fixture: not a tool
    fixture.parent.mkdir(parents=True)
    shutil.copyfile(manifest("csv-splitter"), fixture)
    assert ccp001(fixture) == []
    assert ccp001(repo / fixture) == []


def test_ccp001_reports_names_a_method_cannot_carry(repo: Path) -> None:
    path = manifest("csv-splitter")
    data = json.loads(path.read_text())
    data["config"]["key-column"] = {"type": "string", "default": "x"}
    path.write_text(json.dumps(data))
    assert ccp001(path) == [
        f"{path}:config.key-column: expected a name of letters, digits and _ (a CCP template variable) to generate"
        ' its CCP Method, found "key-column" [CCP001]'
    ]


# The Method's content


def test_inputs_outputs_and_links() -> None:
    method = method_for(spec("schema-validator"), infrastructure="other-infra")
    assert list(method["inputs"]) == [IMAGE_INPUT, "records", "schema", "format", "max_errors", "debug"]
    assert method["inputs"][IMAGE_INPUT]["schema"] == {
        "type": "string",
        "default": "polygear/schema-validator:0.1.0",
        "readOnly": True,
    }
    assert (method["inputs"][IMAGE_INPUT]["minOccurs"], method["inputs"][IMAGE_INPUT]["maxOccurs"]) == (1, 1)
    assert method["inputs"]["records"]["schema"] == {"type": "string", "format": "url"}
    assert method["inputs"]["records"]["minOccurs"] == 1
    assert method["inputs"]["max_errors"]["minOccurs"] == 0
    assert method["inputs"]["max_errors"]["schema"] == {"type": "integer", "minimum": 0, "default": 10000}
    assert method["outputs"]["report"]["schema"] == {"type": "string", "contentMediaType": "application/json"}
    assert method["links"] == [{"href": "infrastructures/other-infra", "rel": "compatibleWith", "title": "other-infra"}]
    assert method_for(spec("csv-splitter"))["links"][0]["href"] == f"infrastructures/{INFRASTRUCTURE}"
    profiler = method_for(spec("csv-profiler"))["outputs"]
    assert profiler["report"]["schema"]["contentMediaType"] == "text/html"
    assert method_for(spec("csv-splitter"))["outputs"]["parts"]["schema"]["contentMediaType"] == (
        "application/octet-stream"
    )


def test_required_parameter_and_secret_inputs() -> None:
    def add_key(data: dict[str, Any]) -> None:
        data["inputs"]["api_key"] = {"base": "api-key"}

    method = method_for(edited("csv-splitter", add_key))
    assert method["inputs"]["column"]["minOccurs"] == 1  # no default, not optional
    assert "api_key" not in method["inputs"]
    assert "api_key" not in json.dumps(scripts(method))


@pytest.mark.parametrize(
    ("directive", "schema"),
    [
        ({"type": "number", "exclusiveMinimum": 0}, {"type": "number", "minimum": 0, "exclusiveMinimum": True}),
        (
            {"type": "integer", "maximum": 9, "exclusiveMaximum": True, "optional": True},
            {"type": "integer", "maximum": 9, "exclusiveMaximum": True},
        ),
        ({"type": "integer", "exclusiveMaximum": False, "maximum": 3}, {"type": "integer", "maximum": 3}),
        (
            {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "maxItems": 2, "default": ["a"]},
            {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "maxItems": 2, "default": ["a"]},
        ),
        ({"type": "array"}, {"type": "array", "items": {}}),
        (
            {"type": "string", "pattern": "^[a-z]+$", "minLength": 1, "maxLength": 8},
            {"type": "string", "minLength": 1, "maxLength": 8, "pattern": "^[a-z]+$"},
        ),
    ],
)
def test_parameter_schema(
    directive: dict[str, Any], schema: dict[str, Any], validator: jsonschema.Draft4Validator
) -> None:
    assert parameter_schema(directive) == schema

    def add(data: dict[str, Any]) -> None:
        data["config"]["extra"] = directive

    method = method_for(edited("csv-splitter", add))
    assert method["inputs"]["extra"]["minOccurs"] == (0 if "default" in directive or "optional" in directive else 1)
    assert violations(validator, method) == []


@pytest.mark.parametrize("name", ["ccpimage", "ccpmaxtime", "bad name", "2x"])
def test_names_a_method_cannot_carry_are_refused(name: str) -> None:
    with pytest.raises(UserError, match=re.escape(f"config.{name}: expected a name")):
        method_for(edited("csv-splitter", lambda d: d["config"].update({name: {"type": "string"}})))


def test_a_config_key_that_is_also_a_file_input_is_refused() -> None:
    with pytest.raises(UserError, match="config.table: expected a name no file input uses"):
        method_for(edited("csv-splitter", lambda d: d["config"].update(table={"type": "string"})))


# The scripts: values only in single-quoted words, through argv, typed, and the files fetched


PLACEHOLDER = re.compile(r"'\{\{ ([A-Za-z_][A-Za-z0-9_]*) \}\}'")
PLACEHOLDER_TEXT = re.compile(r"\{\{ ([A-Za-z_][A-Za-z0-9_]*) \}\}")


@pytest.mark.parametrize("tool", TOOLS)
def test_values_appear_only_as_single_quoted_words(tool: str) -> None:
    method = method_for(spec(tool))
    for name, lines in scripts(method).items():
        for line in lines:
            placeholders = PLACEHOLDER.findall(line)
            assert set(placeholders) <= set(method["inputs"]) - {IMAGE_INPUT}, name
            rest = PLACEHOLDER.sub("", line)
            assert "{{" not in rest and "}}" not in rest, line
            for code in re.findall(r"python3 -c '([^']*)'", line):
                assert "{" not in code and "}" not in code  # nothing a template engine could read
            # every single quote belongs to a placeholder or encloses the fixed program
            assert rest.count("'") == 2 * len(re.findall(r"python3 -c '", line))


def substituted(line: str, values: dict[str, str], root: Path) -> str:
    """What our executor does: each value into its single-quoted word with `'` as `'"'"'`; paths moved to `root`."""
    # one pass, like a template engine: a value holding "{{ x }}" is not substituted again
    line = PLACEHOLDER_TEXT.sub(lambda m: values.get(m.group(1), "").replace("'", "'\"'\"'"), line)
    return line.replace("/ccp_data/", f"{root}/").replace("python3 -c", f"{shlex.quote(sys.executable)} -c", 1)


def run_line(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run script text with /bin/sh in `cwd` (where a broken quote's `$(touch pwned)` would land).

    Without proxy settings: urllib would send even the loopback test server's URLs to a proxy.
    """
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def config_line(method: dict[str, Any]) -> str:
    return next(line for line in scripts(method)["execute-script"] if "config.json" in line)


HOSTILE = 'it\'s "quoted" $(touch pwned) `x` ; \\ {{ column }} \n new line'


def test_config_json_gets_every_value_verbatim_and_typed(tmp_path: Path) -> None:
    (tmp_path / "input" / "table").mkdir(parents=True)
    (tmp_path / "input" / "table" / "sites.csv").write_text("a\n")
    (tmp_path / "job").mkdir()
    method = method_for(spec("csv-splitter"))
    values = {"column": HOSTILE, "delimiter": "", "keep_key_column": "False", "debug": "maybe"}
    result = run_line(substituted(config_line(method), values, tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "job" / "config.json").read_text())
    assert written["config"] == {"column": HOSTILE, "keep_key_column": False, "debug": "maybe"}
    assert written["inputs"]["table"]["location"] == {
        "path": str(tmp_path / "input/table/sites.csv"),
        "name": "sites.csv",
    }
    assert not (tmp_path / "pwned").exists()


def test_config_json_numbers_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    method = method_for(spec("csv-profiler"))
    values = {"top_n": "12", "bins": " 7 ", "max_exact_distinct": "1e3", "sample_size": "many", "debug": "TRUE"}
    result = run_line(substituted(config_line(method), values, tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "job" / "config.json").read_text())
    # text that is not a number goes through as text: the tool's own binding reports it in one line
    assert written == {
        "config": {"top_n": 12, "bins": 7, "max_exact_distinct": 1000.0, "sample_size": "many", "debug": True},
        "inputs": {},
    }


class _Files(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        if self.path.startswith("/download"):
            self.send_header("Content-Disposition", 'attachment; filename="../records.jsonl"')
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "my records.json").write_text("[]")
    (served / "download").write_text("{}\n")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Files, directory=str(served)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_deploy_fetches_each_file_input_under_its_own_name(tmp_path: Path, server: str) -> None:
    root = tmp_path / "ccp"
    values = {"records": f"{server}/my%20records.json", "schema": f"{server}/download?token=x'y"}
    lines = [substituted(line, values, root) for line in scripts(method_for(spec("schema-validator")))["deploy-script"]]
    result = run_line("\n".join(lines), tmp_path)
    assert result.returncode == 0, result.stderr
    assert (root / "input" / "records" / "my records.json").read_text() == "[]"
    assert (root / "input" / "schema" / "records.jsonl").read_text() == "{}\n"  # the server's name, without ../


def test_deploy_refuses_other_schemes_and_skips_an_empty_url(tmp_path: Path) -> None:
    root = tmp_path / "ccp"
    lines = scripts(method_for(spec("schema-validator")))["deploy-script"]
    result = run_line("\n".join(substituted(line, {"records": "file:///etc/passwd"}, root) for line in lines), tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "inputs.records: expected an http(s) URL"
    assert run_line("\n".join(substituted(line, {}, root) for line in lines), tmp_path).returncode == 0
    assert list((root / "input").rglob("*.*")) == []


def test_execute_runs_the_tool_in_a_flywheel_layout_and_publishes_its_outputs() -> None:
    lines = scripts(method_for(spec("csv-splitter")))["execute-script"]
    assert lines[0] == "set -e"
    assert "cp /flywheel/v0/manifest.json /ccp_data/job/manifest.json" in lines
    assert lines.index("/bin/run --gear-dir /ccp_data/job") < lines.index(
        "cp -R /ccp_data/job/output/. /ccp_data/output/"
    )
    assert scripts(method_for(spec("csv-splitter")))["cancel-script"] == ["rm -rf /ccp_data/job /ccp_data/input"]
