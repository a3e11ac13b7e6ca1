"""column-report's notebook as a tool interface: typed by MAAP's rules, agreeing with the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from polygear.core.lint import ToolFacts, lint_tool
from polygear.core.spec import ToolSpec
from polygear.notebook import lint_rules  # noqa: F401  (registers NB001)
from polygear.notebook.params import NotebookParameter, manifest_sections, read_parameters

MANIFEST = Path("gears/column-report/src/docker/manifest.json")
NOTEBOOK = Path("gears/column-report/src/notebook/process.ipynb")


def test_parameters_are_typed_from_the_hints() -> None:
    params = {p.name: p for p in read_parameters(NOTEBOOK)}
    assert params["table"].kind == "File"
    assert params["bins"] == NotebookParameter("bins", "int", 20, False, "Number of histogram bins.")
    assert (params["summary"].kind, params["summary"].default) == ("stage_out", "summary.json")
    assert (params["plot"].kind, params["plot"].default) == ("stage_out", "histogram.png")


def test_manifest_agrees_with_the_notebook() -> None:
    findings = [
        str(f) for f in lint_tool(ToolFacts(manifest=MANIFEST, target_name="column-report")) if f.rule == "NB001"
    ]
    assert findings == []
    sections = manifest_sections(read_parameters(NOTEBOOK))
    spec = ToolSpec.load(MANIFEST)
    assert set(sections["config"]) == set(spec.parameters)
    assert {name: g.glob for name, g in spec.outputs.items() if name != "notebook"} == {
        name: o["glob"] for name, o in sections["outputs"].items()
    }


def test_a_manifest_that_drifts_is_reported(tmp_path: Path) -> None:
    """The rule compares with the notebook beside the manifest: a copy with one default changed."""
    (tmp_path / "src" / "docker").mkdir(parents=True)
    (tmp_path / "src" / "notebook").mkdir()
    (tmp_path / "src" / "notebook" / "process.ipynb").write_bytes(NOTEBOOK.read_bytes())
    data = json.loads(MANIFEST.read_text())
    data["config"]["bins"]["default"] = 30
    del data["custom"]["polygear"]["outputs"]["plot"]
    manifest = tmp_path / "src" / "docker" / "manifest.json"
    manifest.write_text(json.dumps(data))
    findings = [
        str(f) for f in lint_tool(ToolFacts(manifest=manifest, target_name="column-report")) if f.rule == "NB001"
    ]
    assert len(findings) == 2, findings
    assert any("config.bins.default" in f and "found 30" in f for f in findings)
    assert any("plot" in f for f in findings)
