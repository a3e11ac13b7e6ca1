"""Pipeline definitions in `pipelines/`: SD2E documents whose components are this repository's tools.

    id: polygear/csv-quality            # optional, stable (part of the UUID, as in SD2E's fixtures)
    name: CSV quality
    description: ...
    components:                         # SD2E `container` components, in run order
      - repo: polygear/schema-validator:0.1.0     # the tool's image with its version tag
        options: {max_errors: 20}                 # fixed parameters of that step
      - repo: polygear/csv-splitter:0.1.0
        options: {column: site}
    processing_levels: ["1"]
    accepts: [CSV]
    produces: [JSON, CSV]
    __options:                          # SD2E's private field: not part of the UUID
      inputs: {table: File, schema: File}          # the pipeline's own inputs
      wiring:                                      # per component, tool input <- source
        - {records: table, schema: schema}         # a pipeline input
        - {table: table}
        - {table: {from: 1.parts, scatter: true}}  # step 1's output `parts` (File[]), one run per file

Only `components` (and `id`) make the UUID, so wiring, names and descriptions can change without
making a new pipeline. Every problem is found before anything runs and reported with a rule id:

| rule | checks |
|---|---|
| SD001 | the document is valid against SD2E's pipeline schema (an `id` is allowed besides) |
| SD002 | each component has exactly the shape of one SD2E component type; index named (SD2E's code drops unknown shapes from the UUID silently, so two pipelines could share one) |
| SD003 | each component is a tool of this repository at that version (`repo` = its image reference) |
| SD004 | fixed options are valid parameters of the tool (names, types, enums, ranges) |
| SD005 | wiring: every required file input is wired, every wired input exists, every source is a pipeline input or an earlier step's output (so no cycles), and types match (File[] into File only with `scatter`) |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from polygear.core.bind import bind_parameters
from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

PIPELINE_SUFFIXES = (".yaml", ".yml", ".json")
INPUT_TYPES = ("File",)
# SD2E's component types (the catalog's pipeline_manager_create schema), with their exact keys.
COMPONENT_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # name: (required keys, optional keys)
    "container": (frozenset({"repo"}), frozenset({"hash", "options"})),
    "agave_app": (frozenset({"id", "inputs", "parameters"}), frozenset()),
    "abaco_actor": (frozenset({"id", "repo"}), frozenset({"options"})),
    "service": (frozenset({"uri"}), frozenset({"identifier", "options"})),
}
OUR_FIELDS = ("id",)  # allowed beside SD2E's schema (its own fixtures carry one)


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.where}: expected {self.expected}, found {self.found} [{self.rule}]"


@dataclass(frozen=True)
class Wire:
    source: str  # a pipeline input name, or "<step index>.<output name>"
    scatter: bool = False

    @property
    def step(self) -> int | None:
        head, dot, _ = self.source.partition(".")
        return int(head) if dot and head.isdigit() else None

    @property
    def output(self) -> str:
        return self.source.partition(".")[2]


@dataclass(frozen=True)
class Step:
    index: int
    spec: ToolSpec
    options: dict[str, Any]
    wiring: dict[str, Wire]

    @property
    def id(self) -> str:
        return f"s{self.index}_{self.spec.name.replace('-', '_')}"


@dataclass(frozen=True)
class Pipeline:
    path: Path
    document: dict[str, Any]
    inputs: dict[str, str]
    steps: list[Step]

    @property
    def name(self) -> str:
        """The file's stem: what `pipeline run <name>` and the compiled Workflow's id use."""
        return self.path.stem


def load_document(path: Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), f"expected a readable UTF-8 pipeline file, found: {exc}") from None
    try:
        data = json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UserError(str(path), f"expected a JSON or YAML pipeline document: {first}") from None
    if not isinstance(data, dict):
        raise UserError(str(path), f"expected a mapping (a pipeline document), found {type(data).__name__}")
    return data


def tools_by_image(manifests: list[Path]) -> dict[str, ToolSpec]:
    """Image reference (`org/name:version`) -> the tool, for every tool manifest given."""
    out: dict[str, ToolSpec] = {}
    for manifest in manifests:
        spec = ToolSpec.load(manifest)
        if spec.image:
            out[spec.image] = spec
    return out


def schema_problems(path: Path, document: dict[str, Any], schema: dict[str, Any]) -> list[Problem]:
    checked = {k: v for k, v in document.items() if k not in OUR_FIELDS}
    validator = jsonschema.Draft4Validator(schema)
    out = []
    for error in sorted(validator.iter_errors(checked), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(document)"
        out.append(
            Problem("SD001", f"{path}:{where}", "a document valid against SD2E's pipeline schema", error.message)
        )
    return out


def component_type(component: Any) -> str | None:
    """The one SD2E component type whose exact keys `component` has, or None."""
    if not isinstance(component, dict):
        return None
    keys = set(component)
    matches = [name for name, (req, opt) in COMPONENT_TYPES.items() if req <= keys <= req | opt]
    return matches[0] if len(matches) == 1 else None


def _wire(value: Any) -> Wire | None:
    if isinstance(value, str) and value:
        return Wire(value)
    if isinstance(value, dict) and set(value) <= {"from", "scatter"} and isinstance(value.get("from"), str):
        scatter = value.get("scatter", False)
        return Wire(value["from"], scatter) if isinstance(scatter, bool) else None
    return None


class _Checker:
    """Collects every problem of one document (the rules above), then builds the Pipeline if none."""

    def __init__(self, path: Path, document: dict[str, Any], tools: dict[str, ToolSpec]) -> None:
        self.path, self.document, self.tools = path, document, tools
        self.problems: list[Problem] = []

    def add(self, rule: str, where: str, expected: str, found: Any) -> None:
        shown = found if isinstance(found, str) else json.dumps(found)
        self.problems.append(Problem(rule, f"{self.path}:{where}", expected, shown))

    def run(self) -> Pipeline | None:
        options = self.document.get("__options") or {}
        inputs = options.get("inputs") if isinstance(options, dict) else None
        wiring = options.get("wiring") if isinstance(options, dict) else None
        if not isinstance(inputs, dict) or any(t not in INPUT_TYPES for t in inputs.values()):
            self.add(
                "SD005", "__options.inputs", f"a mapping of pipeline input names to {'/'.join(INPUT_TYPES)}", inputs
            )
            inputs = {}
        components = self.document.get("components")
        if not isinstance(components, list) or not components:
            self.add("SD002", "components", "a non-empty list of components", components)
            return None
        if not isinstance(wiring, list) or len(wiring) != len(components):
            self.add("SD005", "__options.wiring", f"a list with one mapping per component ({len(components)})", wiring)
            wiring = [{} for _ in components]
        steps = [self.step(i, c, w, inputs) for i, (c, w) in enumerate(zip(components, wiring, strict=True))]
        for step in steps:
            if step is not None:
                self.check_sources(step, steps, inputs)
        if self.problems or any(s is None for s in steps):
            return None
        return Pipeline(self.path, self.document, dict(inputs), [s for s in steps if s is not None])

    def step(self, index: int, component: Any, wiring: Any, inputs: dict[str, str]) -> Step | None:
        spec = self.component_tool(index, component)
        if spec is None:
            return None
        return Step(index, spec, self.fixed_options(index, component, spec), self.wires(index, spec, wiring))

    def component_tool(self, index: int, component: Any) -> ToolSpec | None:
        """SD002 and SD003: a container component whose repo is one of this repository's tools."""
        where = f"components[{index}]"
        kind = component_type(component)
        if kind is None:
            shapes = "; ".join(
                f"{n}: {', '.join(sorted(r))} (+ {', '.join(sorted(o)) or 'nothing'})"
                for n, (r, o) in COMPONENT_TYPES.items()
            )
            found = sorted(component) if isinstance(component, dict) else component
            self.add("SD002", where, f"the keys of exactly one SD2E component type ({shapes})", found)
            return None
        if kind != "container":
            self.add("SD003", where, "a container component (repo: a tool image of this repository)", kind)
            return None
        spec = self.tools.get(component["repo"])
        if spec is None:
            known = ", ".join(sorted(self.tools)) or "none"
            self.add("SD003", f"{where}.repo", f"the image of a tool of this repository ({known})", component["repo"])
        return spec

    def fixed_options(self, index: int, component: dict[str, Any], spec: ToolSpec) -> dict[str, Any]:
        """SD004: the component's options bind as the tool's parameters (the engine's own checks)."""
        where = f"components[{index}].options"
        fixed = component.get("options") or {}
        if not isinstance(fixed, dict):
            self.add("SD004", where, "a mapping of parameter values", fixed)
            return {}
        try:
            bind_parameters(spec.parameters, fixed, where=where)
        except UserError as exc:
            expected, sep, found = exc.message.removeprefix("expected ").partition(", found ")
            if not sep or not exc.message.startswith("expected "):
                expected, found = f"a valid {spec.name} parameter", exc.message
            self.add("SD004", exc.where.removeprefix(f"{self.path}:"), expected, found)
        return dict(fixed)

    def wires(self, index: int, spec: ToolSpec, wiring: Any) -> dict[str, Wire]:
        """SD005 (per step): wired names are the tool's file inputs; every required one is wired."""
        where = f"__options.wiring[{index}]"
        if not isinstance(wiring, dict):
            self.add("SD005", where, "a mapping of tool input -> source", wiring)
            wiring = {}
        wires: dict[str, Wire] = {}
        for name, value in wiring.items():
            wire = _wire(value)
            if name not in spec.file_inputs:
                self.add(
                    "SD005", f"{where}.{name}", f"a file input of {spec.name} ({', '.join(spec.file_inputs)})", name
                )
            elif wire is None:
                self.add("SD005", f"{where}.{name}", "a source name or {from: SOURCE, scatter: BOOL}", value)
            else:
                wires[name] = wire
        for name, directive in spec.file_inputs.items():
            if name not in wiring and not directive.get("optional"):
                self.add("SD005", f"{where}.{name}", f"a source for {spec.name}'s required input", "none")
        return wires

    def check_sources(self, step: Step, steps: list[Step | None], inputs: dict[str, str]) -> None:
        for name, wire in step.wiring.items():
            where = f"__options.wiring[{step.index}].{name}"
            source_step = wire.step
            if source_step is None:
                if wire.source not in inputs:
                    self.add(
                        "SD005", where, f"a pipeline input ({', '.join(inputs) or 'none'}) or STEP.OUTPUT", wire.source
                    )
                elif wire.scatter:
                    self.add("SD005", where, "scatter only over a step's File[] output", "scatter over a File input")
                continue
            if source_step >= step.index:
                self.add(
                    "SD005",
                    where,
                    f"an earlier step's output (steps run in order; this is step {step.index})",
                    wire.source,
                )
                continue
            source = steps[source_step]
            if source is None:
                continue
            if wire.output not in source.spec.outputs:
                outs = ", ".join(source.spec.outputs) or "none"
                self.add("SD005", where, f"an output of step {source_step} ({source.spec.name}: {outs})", wire.output)
            elif not wire.scatter:
                self.add("SD005", where, "scatter: true (the source is File[], the input one File)", "File[] into File")


def check(
    path: Path, tools: dict[str, ToolSpec], schema: dict[str, Any] | None = None
) -> tuple[Pipeline | None, list[Problem]]:
    """Every problem of one pipeline file (SD2E's schema when given), and the pipeline when there are none."""
    try:
        document = load_document(path)
    except UserError as exc:
        return None, [Problem("SD001", exc.where, "a readable pipeline document", exc.message)]
    problems = schema_problems(path, document, schema) if schema is not None else []
    checker = _Checker(path, document, tools)
    pipeline = checker.run()
    problems += checker.problems
    return (pipeline if not problems else None), problems


def resolve(path: Path, tools: dict[str, ToolSpec], schema: dict[str, Any] | None = None) -> Pipeline:
    """The pipeline, or a UserError naming its first problem (with how many there are)."""
    pipeline, problems = check(path, tools, schema)
    if pipeline is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        first = problems[0] if problems else Problem("SD001", str(path), "a valid pipeline", "none")
        raise UserError(first.where, f"expected {first.expected}, found {first.found} [{first.rule}]{more}")
    return pipeline
