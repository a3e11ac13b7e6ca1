"""Platform-neutral lint rules (PG...): the manifest, the BUILD targets and the Dockerfile agree.

These hold for every tool whatever platform it is published to: one name, one version, one image
reference, parameter defaults that the tool itself would accept, and an image that really contains
this tool's pex.
"""

from __future__ import annotations

from collections.abc import Iterator

from polygear.core.bind import check_value
from polygear.core.errors import UserError
from polygear.core.lint import CONFIG_RULE, Problem, ToolFacts, rule, show
from polygear.core.spec import ToolSpec

TOOL_COMMAND = "/bin/run"


@rule(CONFIG_RULE, "lint-config", "src/docker/lint.toml is readable; every disabled rule exists and has a reason")
def lint_config(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    return iter(())  # checked by the runner before any rule, so that it can honour the file


@rule("PG001", "manifest-json", "manifest.json is a readable JSON object")
def manifest_json(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    return iter(())  # a manifest that cannot be read stops the lint of this tool with this rule's finding


def _tags(facts: ToolFacts) -> list[str]:
    return [r.rsplit(":", 1)[-1] for r in facts.image_refs]


def _version_tags(facts: ToolFacts) -> list[str]:
    return [
        ref.rsplit(":", 1)[1]
        for ref in facts.image_refs
        if ":" in ref.rsplit("/", 1)[-1] and not ref.endswith(":latest")
    ]


@rule("PG002", "name-matches-target", "the manifest's name is the docker_image target's name")
def name_matches_target(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if spec.name != facts.target_name:
        expected = f"{show(facts.target_name)} (the docker_image target name in {facts.build_file})"
        yield Problem(str(facts.manifest), "name", expected, show(spec.data.get("name")))


@rule("PG003", "version-tag", "the image has a version tag besides latest")
def version_tag(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if not _version_tags(facts):
        expected = f"a version tag {show(spec.version)} besides latest"
        yield Problem(facts.build_file, "image_tags", expected, show(_tags(facts)))


@rule("PG004", "version-matches-tag", "the manifest's version is the image's version tag")
def version_matches_tag(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    for tag in _version_tags(facts):
        if tag != spec.version:
            expected = f"{show(tag)} (the image version tag in {facts.build_file})"
            yield Problem(str(facts.manifest), "version", expected, show(spec.data.get("version")))


@rule("PG005", "latest-tag", "the image is also tagged latest")
def latest_tag(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if not any(ref.endswith(":latest") for ref in facts.image_refs):
        yield Problem(facts.build_file, "image_tags", '"latest" among the tags', show(_tags(facts)))


@rule("PG006", "image-reference", "custom.gear-builder.image is the versioned reference Pants builds")
def image_reference(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    versioned = [r for r in facts.image_refs if not r.endswith(":latest")]
    if versioned and spec.image not in versioned:
        expected = show(versioned[0]) if len(versioned) == 1 else " or ".join(show(v) for v in versioned)
        yield Problem(str(facts.manifest), "custom.gear-builder.image", expected, show(spec.image or None))


@rule("PG007", "defaults-fit", "every parameter default fits its own type, enum, range and pattern")
def defaults_fit(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    for key, directive in spec.parameters.items():
        if "default" not in directive:
            continue
        try:
            check_value(f"config.{key}.default", directive, directive["default"])
        except UserError as exc:
            expected, _, found = exc.message.removeprefix("expected ").partition(", found ")
            yield Problem(
                str(facts.manifest),
                f"config.{key}.default",
                expected or exc.message,
                found or show(directive["default"]),
            )


@rule("PG008", "image-copies-pex", "the Dockerfile copies this tool's pex to /bin/run")
def image_copies_pex(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if facts.dockerfile is None:
        return
    for path in (facts.dockerfile, facts.base_dockerfile):
        try:
            if path is not None:
                path.read_text(encoding="utf-8")
        except OSError as exc:
            yield Problem(str(path), "(file)", "a readable Dockerfile", str(exc))
            return
    if not facts.pex_paths:
        yield Problem(
            facts.build_file, "dependencies", "this gear's pex_binary among the docker_image dependencies", "none"
        )
    elif not any(facts.copies_to(p, TOOL_COMMAND) for p in facts.pex_paths):
        yield Problem(str(facts.dockerfile), "COPY", f"COPY {facts.pex_paths[0]} {TOOL_COMMAND}", "no such instruction")


@rule("PG009", "output-groups", "custom.polygear.outputs declares each output group with a glob and a description")
def output_groups(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    custom = spec.data.get("custom")
    raw = (custom.get("polygear") or {}).get("outputs") if isinstance(custom, dict) else None
    if not isinstance(raw, dict) or not raw:
        yield Problem(
            str(facts.manifest), "custom.polygear.outputs", "an object {name: {glob, description}}", show(raw)
        )
        return
    for name, group in raw.items():
        field = f"custom.polygear.outputs.{name}"
        if not isinstance(group, dict):
            yield Problem(str(facts.manifest), field, "an object with glob and description", show(group))
            continue
        glob = group.get("glob")
        if not isinstance(glob, str) or not glob or glob.startswith(("/", "..")) or "/../" in glob:
            yield Problem(str(facts.manifest), f"{field}.glob", "a glob relative to the output folder", show(glob))
        if not isinstance(group.get("description"), str) or not group["description"].strip():
            yield Problem(
                str(facts.manifest), f"{field}.description", "a non-empty description", show(group.get("description"))
            )


@rule("PG010", "resources", "custom.polygear.resources, when given, has positive integer minimums <= maximums")
def resources(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    try:
        res = spec.resources
    except UserError as exc:
        where, _, field = exc.where.rpartition(":")
        yield Problem(
            where,
            field,
            exc.message.removeprefix("expected ").partition(", found ")[0],
            exc.message.partition(", found ")[2],
        )
        return
    for low, high in (("cores_min", "cores_max"), ("ram_min_mb", "ram_max_mb")):
        if getattr(res, low) > getattr(res, high):
            yield Problem(
                str(facts.manifest),
                f"custom.polygear.resources.{low}",
                f"at most {high} ({getattr(res, high)})",
                str(getattr(res, low)),
            )
