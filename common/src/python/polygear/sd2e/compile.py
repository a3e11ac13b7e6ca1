"""A pipeline as one CWL Workflow: a `$graph` package like each tool's, calling their CommandLineTools.

Each step runs the CommandLineTool of the tool's committed application package
(`gears/<tool>/src/apppkg/<tool>.cwl`, kept current by lint rule AP001), so a step runs exactly as
the tool does on its own: same command line, same image hint, same resources. The Workflow's inputs
are the pipeline's; each step gets its wired inputs (scattered where the wiring says so) and its fixed
options as defaults; every step's outputs are the Workflow's outputs, named `<step>_<output>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec
from polygear.sd2e.definition import Pipeline, Step

CWL_VERSION = "v1.2"
PACKAGE_DIR = "apppkg"  # gears/<tool>/src/apppkg/<tool>.cwl (polygear.apppkg.paths)
FILE_ARRAY = {"type": "array", "items": "File"}


def tool_package(spec: ToolSpec) -> Path:
    return spec.path.parent.parent / PACKAGE_DIR / f"{spec.name}.cwl"


def command_line_tool(spec: ToolSpec) -> dict[str, Any]:
    """The CommandLineTool of the tool's committed application package."""
    path = tool_package(spec)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(str(path), f"expected the tool's application package (generate it), found: {exc}") from None
    for process in document.get("$graph", []):
        if process.get("class") == "CommandLineTool":
            return dict(process)
    raise UserError(str(path), "expected a CommandLineTool in its $graph, found none")


def _step(step: Step, steps: list[Step], clt_id: str, outputs: list[str]) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    scatter: list[str] = []
    for name, wire in step.wiring.items():
        if wire.step is None:
            inputs[name] = wire.source
        else:
            inputs[name] = f"{steps[wire.step].id}/{wire.output}"
        if wire.scatter:
            scatter.append(name)
    for name, value in step.options.items():
        inputs[name] = {"default": value}
    entry: dict[str, Any] = {
        "label": f"{step.index}: {step.spec.name} {step.spec.version}",
        "doc": step.spec.label or step.spec.description or step.spec.name,
        "run": f"#{clt_id}",
        "in": inputs,
        "out": outputs,
    }
    if scatter:
        entry["scatter"] = scatter
        entry["scatterMethod"] = "dotproduct"
    return entry


def compile_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    tools: dict[str, dict[str, Any]] = {}
    steps: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    scattered = False
    for step in pipeline.steps:
        clt = tools.get(step.spec.name) or command_line_tool(step.spec)
        tools[step.spec.name] = clt
        names = list(clt.get("outputs", {}))
        for wire in step.wiring.values():
            if (
                wire.scatter
                and wire.step is not None
                and any(w.scatter for w in pipeline.steps[wire.step].wiring.values())
            ):
                raise UserError(
                    f"{pipeline.path}:__options.wiring[{step.index}]",
                    "expected to scatter over a step that is not scattered itself, found a scattered one",
                )
        steps[step.id] = _step(step, pipeline.steps, clt["id"], names)
        is_scattered = any(w.scatter for w in step.wiring.values())
        scattered |= is_scattered
        for name in names:
            kind = clt["outputs"][name]["type"]
            outputs[f"{step.id}_{name}"] = {
                "type": {"type": "array", "items": kind} if is_scattered else kind,
                "label": f"{step.spec.name}: {clt['outputs'][name].get('label', name)}",
                "doc": clt["outputs"][name].get("doc", name),
                "outputSource": f"{step.id}/{name}",
            }
    document = pipeline.document
    workflow: dict[str, Any] = {
        "class": "Workflow",
        "id": pipeline.name,
        "label": str(document.get("name", pipeline.name)),
        "doc": str(document.get("description") or document.get("name") or pipeline.name),
        "inputs": {
            name: {"type": kind, "label": name.replace("_", " ").capitalize(), "doc": f"The pipeline's {name} input."}
            for name, kind in pipeline.inputs.items()
        },
        "outputs": outputs,
        "steps": steps,
    }
    if scattered:
        workflow["requirements"] = {"ScatterFeatureRequirement": {}}
    return {
        "cwlVersion": CWL_VERSION,
        "$namespaces": {"s": "https://schema.org/"},
        "s:name": str(document.get("name", pipeline.name)),
        "$graph": [workflow, *tools.values()],
    }


def render(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
