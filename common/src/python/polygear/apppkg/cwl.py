"""A tool's CWL application package (OGC 20-089, "EOAP"), derived from its manifest through ToolSpec.

One CWL v1.2 document with a `$graph` of two processes:

- a `Workflow` whose id is the tool's name (the OGC process id an ADES deploys), with a label, a
  doc, and every input and output labelled and documented, that runs one step;
- the `CommandLineTool` of that step: `/bin/run --output-dir $(runtime.outdir)` (the tool's
  command-line mode, polygear.apppkg.adapter) with one `-c NAME=VALUE` word per parameter and one
  `-i NAME=PATH` per input file, its outputs globbed in the output folder.

The image is a *hint* (`DockerRequirement.dockerPull`), not a requirement, so the same package runs
with `cwltool --no-container` where the pex stands in for `/bin/run`; `ResourceRequirement` comes
from `custom.polygear.resources`; schema.org metadata (`s:softwareVersion`, `s:author`, ...) from the
manifest. No JavaScript: every value reaches the command line through a parameter reference, so no
node.js is needed and no value is ever evaluated as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from polygear.apppkg.paths import REGENERATE
from polygear.core.errors import UserError
from polygear.core.lint import show
from polygear.core.ogc_process import title
from polygear.core.spec import PARAMETER_TYPES, ToolSpec

CWL_VERSION = "v1.2"
SCHEMA_ORG = "https://schema.org/"
TOOL_COMMAND = "/bin/run"
STEP = "run"
INT32_MAX = 2**31 - 1
CWL_TYPES = {"string": "string", "integer": "int", "number": "double", "boolean": "boolean"}

# CWL ids, and names a command line carries as `NAME=VALUE`.
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOOL_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def tool_id(spec: ToolSpec) -> str:
    """The CommandLineTool's id in the `$graph` (the Workflow's id is the tool name itself)."""
    return f"{spec.name}-tool"


def name_problems(spec: ToolSpec) -> Iterator[tuple[str, str, str]]:
    """(field, expected, found) for every name or type this package cannot carry as it is."""
    if not _TOOL_NAME.fullmatch(spec.name):
        yield "name", "a name of a-z, 0-9 and - (the OGC process id and the CWL Workflow id)", show(spec.name)
    seen: set[str] = set()
    for section, names in (("inputs", list(spec.file_inputs)), ("config", list(spec.parameters))):
        for name in names:
            if not _ID.fullmatch(name):
                yield f"{section}.{name}", "a name of letters, digits and _ (a CWL input id)", show(name)
            elif name in seen:
                yield f"{section}.{name}", "a name no file input uses (both are CWL inputs)", show(name)
            seen.add(name)
    for name in spec.outputs:
        if not _ID.fullmatch(name):
            yield f"custom.polygear.outputs.{name}", "a name of letters, digits and _ (a CWL output id)", show(name)
    for name, directive in spec.parameters.items():
        kind = directive.get("type", "string")
        if kind not in PARAMETER_TYPES:
            yield f"config.{name}.type", f"one of {', '.join(PARAMETER_TYPES)}", show(kind)


def _scalar_type(directive: dict[str, Any]) -> Any:
    kind = directive.get("type", "string")
    if kind == "array":
        items = directive.get("items")
        return {"type": "array", "items": _scalar_type(items if isinstance(items, dict) else {})}
    enum = directive.get("enum")
    if kind == "string" and isinstance(enum, list) and enum:
        return {"type": "enum", "symbols": [str(symbol) for symbol in enum]}
    if kind == "integer":  # CWL int is 32 bits: long unless both bounds fit
        bounds = [directive.get(k) for k in ("minimum", "maximum")]
        if not all(isinstance(b, (int, float)) and abs(b) <= INT32_MAX for b in bounds):
            return "long"
    return CWL_TYPES.get(kind, "string")


def parameter_type(directive: dict[str, Any]) -> Any:
    """The CWL type of a manifest parameter: optional (`null` allowed) when it has a default or is optional.

    A parameter with a default may be left out of a job; the default travels with the input, so the
    value the tool sees is the manifest's either way.
    """
    cwl = _scalar_type(directive)
    if "default" in directive or directive.get("optional"):
        return f"{cwl}?" if isinstance(cwl, str) else ["null", cwl]
    return cwl


def _doc(directive: dict[str, Any], fallback: str) -> str:
    text = str(directive.get("description", "")).strip()
    return text or fallback


def _inputs(spec: ToolSpec, bind: bool) -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = {}
    for name, directive in spec.file_inputs.items():
        entry: dict[str, Any] = {
            "type": "File?" if directive.get("optional") else "File",
            "label": title(name),
            "doc": _doc(directive, f"The {name} input file."),
        }
        if bind:
            entry["inputBinding"] = {"prefix": "-i", "valueFrom": f"{name}=$(self.path)"}
        inputs[name] = entry
    for name, directive in spec.parameters.items():
        entry = {"type": parameter_type(directive), "label": title(name), "doc": _doc(directive, title(name))}
        if "default" in directive:
            entry["default"] = directive["default"]
        if bind:
            entry["inputBinding"] = {"prefix": "-c", "valueFrom": f"{name}=$(self)"}
        inputs[name] = entry
    return inputs


def _outputs(spec: ToolSpec, source: str | None) -> dict[str, dict[str, Any]]:
    outputs: dict[str, dict[str, Any]] = {}
    for group in spec.outputs.values():
        entry: dict[str, Any] = {
            "type": {"type": "array", "items": "File"},
            "label": title(group.name),
            "doc": group.description or f"Files matching {group.glob}.",
        }
        if source is None:
            entry["outputBinding"] = {"glob": group.glob}
        else:
            entry["outputSource"] = f"{source}/{group.name}"
        outputs[group.name] = entry
    if not outputs:  # a tool that declares no groups: its whole output folder
        entry = {"type": "Directory", "label": "Outputs", "doc": "Everything the tool wrote."}
        if source is None:
            entry["outputBinding"] = {"glob": "$(runtime.outdir)"}
        else:
            entry["outputSource"] = f"{source}/outputs"
        outputs["outputs"] = entry
    return outputs


def _metadata(spec: ToolSpec) -> dict[str, Any]:
    """schema.org facts from the manifest, as EOAP and ap-validator ask (empty ones left out)."""
    data = spec.data
    meta: dict[str, Any] = {
        "s:name": spec.name,
        "s:softwareVersion": spec.version,
        "s:description": spec.description or spec.label,
    }
    if spec.author:
        meta["s:author"] = [{"class": "s:Person", "s:name": spec.author}]
    maintainer = data.get("maintainer")
    if isinstance(maintainer, str) and maintainer:
        meta["s:maintainer"] = [{"class": "s:Person", "s:name": maintainer}]
    if spec.license:
        meta["s:license"] = spec.license
    for key, prop in (("source", "s:codeRepository"), ("url", "s:url")):
        value = data.get(key)
        if isinstance(value, str) and value:
            meta[prop] = value
    meta["s:keywords"] = [k for k in (spec.name, "polygear") if k]
    return meta


def package_for(spec: ToolSpec) -> dict[str, Any]:
    """The CWL document (as data, keys in a fixed, readable order) for one tool."""
    problem = next(name_problems(spec), None)
    if problem is not None:
        field, expected, found = problem
        raise UserError(f"{spec.path}:{field}", f"expected {expected}, found {found}")
    if not spec.image:
        raise UserError(f"{spec.path}:custom.gear-builder.image", "expected the tool's image reference, found none")
    res = spec.resources
    clt_outputs = _outputs(spec, None)
    workflow = {
        "class": "Workflow",
        "id": spec.name,
        "label": spec.label or spec.name,
        "doc": spec.description or spec.label or spec.name,
        "inputs": _inputs(spec, bind=False),
        "outputs": _outputs(spec, STEP),
        "steps": {
            STEP: {
                "label": f"Run {spec.name}",
                "doc": f"{spec.name} {spec.version} on the inputs above.",
                "run": f"#{tool_id(spec)}",
                "in": {name: name for name in [*spec.file_inputs, *spec.parameters]},
                "out": list(clt_outputs),
            }
        },
    }
    tool = {
        "class": "CommandLineTool",
        "id": tool_id(spec),
        "label": spec.label or spec.name,
        "doc": f"The command-line mode of {spec.name}'s entry point.",
        "baseCommand": [TOOL_COMMAND],
        "arguments": ["--output-dir", "$(runtime.outdir)"],
        "requirements": {
            "ResourceRequirement": {
                "coresMin": res.cores_min,
                "coresMax": res.cores_max,
                "ramMin": res.ram_min_mb,
                "ramMax": res.ram_max_mb,
            }
        },
        "hints": {"DockerRequirement": {"dockerPull": spec.image}},
        "inputs": _inputs(spec, bind=True),
        "outputs": clt_outputs,
    }
    return {
        "cwlVersion": CWL_VERSION,
        "$namespaces": {"s": SCHEMA_ORG},
        **_metadata(spec),
        "$graph": [workflow, tool],
    }


def render(document: dict[str, Any], source: str) -> str:
    """The committed form: a comment naming the source and the command, then block-style YAML."""
    header = f"# Generated from {source} by\n#   {REGENERATE}\n# Do not edit: change the manifest and regenerate.\n"
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return header + body
