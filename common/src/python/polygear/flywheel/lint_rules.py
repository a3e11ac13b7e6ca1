"""Flywheel lint rules (FW...): what Flywheel itself would refuse, caught before upload."""

from __future__ import annotations

from collections.abc import Iterator

from polygear.core.lint import Problem, ToolFacts, rule, show
from polygear.core.spec import ToolSpec
from polygear.flywheel.manifest_schema import json_pointer_field, schema_violations

GEAR_COMMAND = "/bin/run"
MANIFEST_DEST = "/flywheel/v0/manifest.json"


@rule("FW001", "manifest-schema", "manifest.json is valid against Flywheel's manifest schema (the copy in fw-gear)")
def manifest_schema(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    for e in schema_violations(spec.data):
        field = json_pointer_field(e.absolute_path)
        if e.validator == "required":
            instance = e.instance if isinstance(e.instance, dict) else {}
            required = e.validator_value if isinstance(e.validator_value, list) else []
            for p in (p for p in required if p not in instance):
                name = p if field == "(top level)" else f"{field}.{p}"
                yield Problem(str(facts.manifest), name, "a value (required by the Flywheel manifest schema)", "none")
            continue
        expected = f"{e.validator} {show(e.validator_value)} (Flywheel manifest schema)"
        yield Problem(str(facts.manifest), field, expected, show(e.instance))


@rule("FW002", "command", "the gear's command is /bin/run, the pex every image carries")
def command(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if spec.data.get("command") != GEAR_COMMAND:
        yield Problem(str(facts.manifest), "command", show(GEAR_COMMAND), show(spec.data.get("command")))


@rule("FW003", "image-copies-manifest", "the Dockerfile copies this manifest to /flywheel/v0/manifest.json")
def image_copies_manifest(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    source = facts.manifest_in_context
    if facts.copies_to(source, MANIFEST_DEST) is False:  # None: no readable Dockerfile (PG008 says so)
        yield Problem(str(facts.dockerfile), "COPY", f"COPY {source} {MANIFEST_DEST}", "no such instruction")
