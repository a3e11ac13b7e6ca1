"""The lint plugin's rules, run with Pants' rule test harness (the engine's answers are mocked).

Run by `build-support/ci/plugin_tests.sh` (CI calls it): the plugin runs inside Pants on Python 3.9
while the repository's pytest comes from the Python 3.11 resolve, so `./pants test` cannot host it.
The whole plugin is also exercised end to end by `./pants lint ::` and the lint self-test.
"""

from __future__ import annotations

import json
from typing import Any

from pants.backend.docker.goals.package_image import DockerPackageFieldSet  # noqa: F401  (registers fields)
from pants.backend.docker.subsystems.docker_options import DockerOptions
from pants.backend.docker.subsystems.dockerfile_parser import DockerfileInfo, DockerfileInfoRequest
from pants.backend.docker.target_types import DockerImageTarget
from pants.backend.python.target_types import PexBinary
from pants.backend.python.util_rules.pex import VenvPex, VenvPexProcess
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.core.goals.lint import LintResult
from pants.core.target_types import FileTarget
from pants.core.util_rules.partitions import _EmptyMetadata
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.addresses import Address, Addresses, UnparsedAddressInputs
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import (
    EMPTY_DIGEST,
    EMPTY_FILE_DIGEST,
    CreateDigest,
    Digest,
    FileContent,
    MergeDigests,
    PathGlobs,
    Snapshot,
)
from pants.engine.process import FallibleProcessResult, ProcessExecutionEnvironment, ProcessResultMetadata
from pants.engine.target import DependenciesRequest, Targets, WrappedTarget, WrappedTargetRequest
from pants.testutil.option_util import create_subsystem
from pants.testutil.rule_runner import MockGet, run_rule_with_mocks

from polygear_pants.manifest_lint.rules import (
    GearFactsRequest,
    GearManifestFieldSet,
    GearManifestLint,
    GearManifestLintRequest,
    _GearFacts,
    build_args_dict,
    gear_facts,
    run_gear_manifest_lint,
)

DOCKER_DIR = "gears/demo/src/docker"
IMAGE = Address(DOCKER_DIR, target_name="demo")
MANIFEST = Address(DOCKER_DIR, target_name="manifest")
PEX = Address("gears/demo/src/python/demo_app", target_name="bin")
BASE = Address("common/src/docker", target_name="tool-base")


def image_target(extra_build_args: tuple[str, ...] = ("TOOL=demo", "FROM_ENV")) -> DockerImageTarget:
    return DockerImageTarget(
        {"image_tags": ["1.0.0", "latest"], "extra_build_args": list(extra_build_args)},
        IMAGE,
    )


def docker_options() -> DockerOptions:
    return create_subsystem(DockerOptions, default_repository="polygear/{name}", registries={})


def run_facts(deps: list[Any], lint_config_files: tuple[str, ...] = ()) -> _GearFacts:
    def dockerfile_info(request: DockerfileInfoRequest) -> DockerfileInfo:
        source = "common/src/docker/Dockerfile" if request.address == BASE else f"{DOCKER_DIR}/Dockerfile"
        return DockerfileInfo(request.address, EMPTY_DIGEST, source)

    def sources(request: SourceFilesRequest) -> SourceFiles:
        files = [f"{DOCKER_DIR}/manifest.json"] if request.sources_fields else []
        return SourceFiles(Snapshot.create_for_testing(files, []), ())

    return run_rule_with_mocks(
        gear_facts,
        rule_args=[GearFactsRequest(IMAGE), docker_options()],
        mock_gets=[
            MockGet(WrappedTarget, (WrappedTargetRequest,), lambda _: WrappedTarget(image_target())),
            MockGet(DockerfileInfo, (DockerfileInfoRequest,), dockerfile_info),
            MockGet(Targets, (DependenciesRequest,), lambda _: Targets(deps)),
            MockGet(
                Snapshot,
                (PathGlobs,),
                lambda globs: Snapshot.create_for_testing(
                    lint_config_files if any(g.endswith("lint.toml") for g in globs.globs) else (), []
                ),
            ),
            MockGet(SourceFiles, (SourceFilesRequest,), sources),
        ],
    )


def tool_dependencies() -> list[Any]:
    return [
        FileTarget({"source": "manifest.json"}, MANIFEST),
        PexBinary({"entry_point": "run.py", "output_path": "pex/demo.pex"}, PEX),
        DockerImageTarget({"image_tags": ["latest"]}, BASE),
    ]


def test_facts_are_what_pants_will_build() -> None:
    facts = run_facts(tool_dependencies(), lint_config_files=(f"{DOCKER_DIR}/lint.toml",))
    assert facts.job == {
        "manifest": f"{DOCKER_DIR}/manifest.json",
        "manifest_context_path": f"{DOCKER_DIR}/manifest.json",
        "dockerfile": f"{DOCKER_DIR}/Dockerfile",
        "target_name": "demo",
        "image_refs": ["polygear/demo:1.0.0", "polygear/demo:latest"],
        "pex_paths": ["pex/demo.pex"],
        "build_file": f"{DOCKER_DIR}/BUILD",
        "lint_config": f"{DOCKER_DIR}/lint.toml",
        "base_dockerfile": "common/src/docker/Dockerfile",
        "build_args": {"TOOL": "demo"},
    }


def test_an_image_without_a_manifest_is_not_a_tool() -> None:
    facts = run_facts([d for d in tool_dependencies() if not isinstance(d, FileTarget)])
    assert facts == _GearFacts(None, ())


def test_build_args_from_the_environment_are_skipped() -> None:
    assert build_args_dict(["TOOL=demo", "FROM_ENV", "EMPTY="]) == {"TOOL": "demo", "EMPTY": ""}
    assert build_args_dict(None) == {}


def lint_request(addresses: list[Address]) -> Any:
    elements = tuple(GearManifestFieldSet.create(image_target()) for _ in addresses)
    return GearManifestLintRequest.Batch("gear-manifest-lint", elements, _EmptyMetadata())


def test_one_lint_process_for_all_tools_and_none_for_images_without_a_manifest() -> None:
    jobs = {IMAGE: {"target_name": "demo"}}
    spec_files: list[Any] = []
    processes: list[VenvPexProcess] = []

    def facts_for(request: GearFactsRequest) -> _GearFacts:
        return _GearFacts(jobs.get(request.address), ())

    def create_digest(request: CreateDigest) -> Digest:
        spec_files.extend(json.loads(f.content) for f in request if isinstance(f, FileContent))
        return EMPTY_DIGEST

    def process(request: VenvPexProcess) -> FallibleProcessResult:
        processes.append(request)
        environment = ProcessExecutionEnvironment(
            environment_name=None,
            platform="linux_x86_64",
            docker_image=None,
            remote_execution=False,
            remote_execution_extra_platform_properties=(),
        )
        metadata = ProcessResultMetadata(None, environment, "ran", 0)
        empty = EMPTY_FILE_DIGEST
        return FallibleProcessResult(b"1 tool(s) OK", empty, b"", empty, 0, EMPTY_DIGEST, metadata)

    def run(request: Any) -> LintResult:
        return run_rule_with_mocks(
            run_gear_manifest_lint,
            rule_args=[request, create_subsystem(GearManifestLint, tool="common/src/python/polygear/lint.py")],
            mock_gets=[
                MockGet(Addresses, (UnparsedAddressInputs,), lambda _: Addresses([])),
                MockGet(VenvPex, (PexFromTargetsRequest,), lambda _: None),
                MockGet(_GearFacts, (GearFactsRequest,), facts_for),
                MockGet(Digest, (CreateDigest,), create_digest),
                MockGet(Digest, (MergeDigests,), lambda _: EMPTY_DIGEST),
                MockGet(FallibleProcessResult, (VenvPexProcess,), process),
                MockGet(
                    EnvironmentVars,
                    (EnvironmentVarsRequest,),
                    lambda _: EnvironmentVars({"POLYGEAR_SPECS": "/specs"}),
                ),
            ],
        )

    result = run(lint_request([IMAGE]))
    assert (result.exit_code, result.stdout) == (0, "1 tool(s) OK")
    assert spec_files == [[{"target_name": "demo"}]] and len(processes) == 1
    # The pipelines are checked in the same process, with SD2E's schema from the published specs.
    assert list(processes[0].argv) == [
        "--spec",
        "__gear_manifest_lint.json",
        "--pipelines",
        "pipelines",
        "--specs",
        "/specs",
    ]
    jobs.clear()  # only the tool base: nothing to lint, no process
    result = run(lint_request([BASE]))
    assert (result.exit_code, len(processes)) == (0, 1)
