"""`pants lint` rule checking that a tool's manifest.json, docker_image target and Dockerfile agree.

Pants knows what a manifest cannot: the image references `pants package` will produce (from
`[docker].default_repository`, the target's `repository` and `image_tags`), the pex files the image
depends on, the manifest file it depends on, the in-repo base image it is built FROM and the build
args it is built with. This rule gathers those facts for every tool at once and runs the rule
registry of `polygear.lint` (built from the repo's own resolve, so it validates with fw-gear's
manifest schema) in one sandboxed process; results are cached per input like any other linter.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from pants.backend.docker.goals.package_image import DockerPackageFieldSet
from pants.backend.docker.subsystems.docker_options import DockerOptions
from pants.backend.docker.subsystems.dockerfile_parser import DockerfileInfo, DockerfileInfoRequest
from pants.backend.docker.target_types import DockerImageBuildArgsField, DockerImageSourceField
from pants.backend.python.target_types import EntryPoint, PexEntryPointField
from pants.backend.python.util_rules.pex import VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.goals.package import OutputPathField
from pants.core.target_types import FileSourceField
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.addresses import Address, Addresses, UnparsedAddressInputs
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests, PathGlobs, Snapshot
from pants.engine.process import FallibleProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    Dependencies,
    DependenciesRequest,
    FieldSet,
    Targets,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.option.option_types import SkipOption, StrOption
from pants.option.subsystem import Subsystem
from pants.util.logging import LogLevel
from pants.util.strutil import pluralize
from pants.util.value_interpolation import InterpolationContext

MANIFEST_NAME = "manifest.json"
LINT_CONFIG = "lint.toml"  # beside the manifest: rules turned off for this tool, with reasons
# Committed descriptors generated from the manifests, which rules compare with what they generate,
# notebooks, which rule NB001 compares with their tools' manifests, and the pipeline definitions.
GENERATED_DESCRIPTORS = (
    "ccp_methods/*.json",
    "ccp_methods/README.md",
    "gears/*/src/apppkg/*",
    "gears/*/src/notebook/*.ipynb",
    "gears/*/src/docker/manifest.json",  # every tool, for the pipelines' references
    "pipelines/*.yaml",
    "pipelines/*.yml",
    "pipelines/*.json",
)
PIPELINES_DIR = "pipelines"  # SD2E pipeline definitions, checked against the tools (rules SD001-SD005)
SPECS_ENV = "POLYGEAR_SPECS"  # the published schemas (SD2E's pipeline schema), outside the repository
SPEC_FILE = "__gear_manifest_lint.json"


class GearManifestLint(Subsystem):
    options_scope = "gear-manifest-lint"
    name = "gear-manifest-lint"
    help = "Checks each gear's manifest.json against its docker_image target, image references and Dockerfile."

    skip = SkipOption("lint")
    tool = StrOption(
        default="common/src/python/polygear/lint.py",
        help="The python_source target whose module implements the lint (run as `python -m`).",
        advanced=True,
    )


@dataclass(frozen=True)
class GearManifestFieldSet(FieldSet):
    required_fields = (DockerImageSourceField,)

    source: DockerImageSourceField


class GearManifestLintRequest(LintTargetsRequest):
    field_set_type = GearManifestFieldSet
    tool_subsystem = GearManifestLint
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION


@dataclass(frozen=True)
class _GearFacts:
    job: dict[str, Any] | None  # None: an image that carries no tool manifest (the tool base)
    digests: tuple[Digest, ...]


@dataclass(frozen=True)
class GearFactsRequest:
    address: Address


def build_args_dict(values: Any) -> dict[str, str]:
    """`extra_build_args` entries (`NAME=value`; a bare `NAME` comes from the environment: skipped)."""
    out: dict[str, str] = {}
    for item in values or ():
        name, sep, value = str(item).partition("=")
        if sep:
            out[name] = value
    return out


@rule(desc="Gather the facts of one tool for the manifest lint", level=LogLevel.DEBUG)
async def gear_facts(request: GearFactsRequest, docker: DockerOptions) -> _GearFacts:
    address = request.address
    wrapped = await Get(WrappedTarget, WrappedTargetRequest(address, description_of_origin="gear manifest lint"))
    target = wrapped.target
    dockerfile_info, deps, lint_config, generated = await MultiGet(
        Get(DockerfileInfo, DockerfileInfoRequest(address)),
        Get(Targets, DependenciesRequest(target[Dependencies])),
        Get(Snapshot, PathGlobs([os.path.join(address.spec_path, LINT_CONFIG)])),
        Get(Snapshot, PathGlobs(GENERATED_DESCRIPTORS)),
    )
    manifests = [
        d
        for d in deps
        if d.has_field(FileSourceField) and os.path.basename(d[FileSourceField].file_path) == MANIFEST_NAME
    ]
    pex_paths = [
        d[OutputPathField].value_or_default(file_ending="pex")
        for d in deps
        if d.has_field(PexEntryPointField) and d.has_field(OutputPathField)
    ]
    if not manifests:
        return _GearFacts(None, ())
    bases = [d.address for d in deps if d.has_field(DockerImageSourceField)]
    manifest_sources = await Get(SourceFiles, SourceFilesRequest([m[FileSourceField] for m in manifests]))
    base_infos = await MultiGet(Get(DockerfileInfo, DockerfileInfoRequest(b)) for b in bases)
    field_set = DockerPackageFieldSet.create(target)
    build_file = os.path.join(address.spec_path, "BUILD")
    try:
        refs = [
            tag.full_name
            for registry in field_set.image_refs(
                default_repository=docker.default_repository,
                registries=docker.registries(),
                interpolation_context=InterpolationContext(),
            )
            for tag in registry.tags
        ]
    except Exception as exc:  # interpolation needing build context: report, don't crash lint
        refs = []
        build_file = f"{build_file} ({exc})"
    job = {
        "manifest": (
            manifest_sources.files[0] if manifest_sources.files else os.path.join(address.spec_path, MANIFEST_NAME)
        ),
        "manifest_context_path": manifest_sources.files[0] if manifest_sources.files else None,
        "dockerfile": dockerfile_info.source,
        "target_name": address.target_name,
        "image_refs": refs,
        "pex_paths": pex_paths,
        "build_file": build_file,
        "lint_config": lint_config.files[0] if lint_config.files else None,
        "base_dockerfile": base_infos[0].source if base_infos else None,
        "build_args": build_args_dict(target[DockerImageBuildArgsField].value),
    }
    digests = (
        dockerfile_info.digest,
        manifest_sources.snapshot.digest,
        lint_config.digest,
        generated.digest,
        *(b.digest for b in base_infos),
    )
    return _GearFacts(job, digests)


@rule(desc="Lint gear manifests against their docker_image targets", level=LogLevel.DEBUG)
async def run_gear_manifest_lint(
    request: GearManifestLintRequest.Batch[GearManifestFieldSet, Any],
    subsystem: GearManifestLint,
) -> LintResult:
    tool_addresses = await Get(
        Addresses,
        UnparsedAddressInputs([subsystem.tool], owning_address=None, description_of_origin="[gear-manifest-lint].tool"),
    )
    lint_pex_get = Get(
        VenvPex,
        PexFromTargetsRequest(
            tool_addresses,
            output_filename="gear_manifest_lint.pex",
            internal_only=True,
            main=EntryPoint(module="polygear.lint"),
        ),
    )
    # Every tool's facts at once (concurrently), then one lint process for all of them.
    all_facts = await MultiGet(Get(_GearFacts, GearFactsRequest(fs.address)) for fs in request.elements)
    facts = [f for f in all_facts if f.job is not None]
    if not facts:
        return LintResult(0, "no tool images to lint", "", request.tool_name)
    lint_pex = await lint_pex_get
    env = await Get(EnvironmentVars, EnvironmentVarsRequest([SPECS_ENV]))
    argv = ["--spec", SPEC_FILE, "--pipelines", PIPELINES_DIR]
    if env.get(SPECS_ENV):
        argv += ["--specs", env[SPECS_ENV]]
    spec = await Get(Digest, CreateDigest([FileContent(SPEC_FILE, json.dumps([f.job for f in facts]).encode())]))
    input_digest = await Get(Digest, MergeDigests([spec, *(d for f in facts for d in f.digests)]))
    result = await Get(
        FallibleProcessResult,
        VenvPexProcess(
            lint_pex,
            argv=argv,
            input_digest=input_digest,
            description=f"Lint {pluralize(len(facts), 'gear manifest')}",
            level=LogLevel.DEBUG,
        ),
    )
    return LintResult.create(request, result)


def rules() -> list[Any]:
    return [*collect_rules(), *GearManifestLintRequest.rules()]
