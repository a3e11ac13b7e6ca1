# BUILD-file macros for tools (loaded by [GLOBAL] build_file_prelude_globs in pants.toml).
#
# Every tool has the same targets; only its name differs. The macros derive everything from the
# tool's folder, gears/<tool>/, and its app package, <tool with - as _>_app:
#
#   gears/<tool>/src/python/<app>/BUILD     polygear_app()
#       python_sources() and pex_binary "bin" -> dist/pex/<tool>.pex (the fixed place every command,
#       test, Makefile and Dockerfile uses), built for the image's CPython 3.11 on linux x86_64 and
#       aarch64 (complete_platforms), so a macOS or ARM laptop builds the same Linux pex.
#   gears/<tool>/src/docker/BUILD           polygear_image(name="<tool>", image_tags=["<version>", "latest"])
#       the docker_image (FROM the shared tool base, TOOL=<tool>), plus file targets for the manifest
#       and the Dockerfile that tests use.
#   gears/<tool>/test/python/<app>/BUILD    polygear_tests()
#       unit tests (test_*.py), pex/image tests (test_*_gear.py) and KLMS tests (test_*_klms.py).
#
# Keep PEX_DIR in sync with polygear.dev.workspace.pex_output_path (a prelude cannot import it).

PEX_DIR = "pex"
BUNDLE_DIR = "polygear_tool"  # keep in sync with polygear.core.spec.BUNDLE_DIR
# A tuple: prelude values must be hashable.
COMPLETE_PLATFORMS = (
    "//build-support/platforms:linux-x86_64-cp311",
    "//build-support/platforms:linux-aarch64-cp311",
)


def _tool():
    parts = build_file_dir().parts
    if len(parts) < 2 or parts[0] != "gears":
        raise ValueError(f"polygear macros are for gears/<tool>/...; this BUILD file is in {build_file_dir()}")
    return parts[1]


def _app(tool):
    return tool.replace("-", "_") + "_app"


def polygear_app(bundle=(), dependencies=(), **pex_kwargs):
    """`bundle`: (file target, its folder) pairs the pex carries beside the manifest (a notebook);
    `dependencies`: what the pex needs that no import says (the libraries a notebook imports)."""
    tool = _tool()
    python_sources()
    # The pex carries its manifest as polygear_tool/manifest.json (polygear.core.spec.bundled_file),
    # so `/bin/run --output-dir` works outside the image too (CWL --no-container, pipelines).
    for index, (target, folder) in enumerate(((f"gears/{tool}/src/docker:manifest", f"gears/{tool}/src/docker"), *bundle)):
        # Relocated to polygear_tool/<file> (a source root of its own in pants.toml: kept as is in the pex).
        relocated_files(name=f"bundle-{index}", files_targets=[target], src=folder, dest=BUNDLE_DIR)
    experimental_wrap_as_resources(name="bundle", inputs=[f":bundle-{i}" for i in range(1 + len(bundle))])
    pex_binary(
        name="bin",
        entry_point="run.py",
        output_path=f"{PEX_DIR}/{tool}.pex",
        # The image's python3 (python:3.11-slim or Debian's) runs it; `env` finds either.
        shebang="/usr/bin/env python3",
        # Extracted once into a venv (at image build time, by the tool base's ONBUILD step).
        execution_mode="venv",
        complete_platforms=list(COMPLETE_PLATFORMS),
        dependencies=[":bundle", *dependencies],
        **pex_kwargs,
    )


def polygear_image(name, image_tags, dependencies=(), **kwargs):
    tool = _tool()
    if name != tool:
        raise ValueError(f"polygear_image(name={name!r}) in gears/{tool}/: the image is named after its folder")
    file(name="manifest", source="manifest.json")
    file(name="dockerfile", source="Dockerfile")
    docker_image(
        name=name,
        image_tags=image_tags,
        extra_build_args=[f"TOOL={tool}"],
        dependencies=[":manifest", f"gears/{tool}/src/python/{_app(tool)}:bin", *dependencies],
        **kwargs,
    )


def polygear_tests(extra_dependencies=()):
    tool = _tool()
    data = [f"gears/{tool}/test/data", *extra_dependencies]
    artifacts = [
        f"gears/{tool}/src/docker:manifest",
        f"gears/{tool}/src/docker:dockerfile",
        "common/src/docker:dockerfile",
        "common/src/klms:run-sh",
        "ccp_methods:methods",
    ]
    python_tests(name="tests", sources=["test_*.py", "!test_*_gear.py", "!test_*_klms.py"], dependencies=data)
    for kind in ("gear", "klms"):
        python_tests(
            name=kind,
            sources=[f"test_*_{kind}.py"],
            # The real artifacts: the pex users ship, and the files its image is built from.
            runtime_package_dependencies=[f"gears/{tool}/src/python/{_app(tool)}:bin"],
            dependencies=[*artifacts, *data],
        )


# Inside polygear: every platform package (flywheel/, klms/, ccp/, the ones to come) imports only the
# core. One definition of that rule, used by each platform package's BUILD:
#   common/src/python/polygear/<platform>/BUILD    polygear_platform_package(**python_sources fields)
PLATFORM_MAY_IMPORT = (
    "./**",
    "//common/src/python/polygear/__init__.py",
    "//common/src/python/polygear/core/**",
    "//3rdparty/**",
    "!*",
)


def polygear_platform_package(**python_sources_kwargs):
    python_sources(**python_sources_kwargs)
    __dependencies_rules__(("*", *PLATFORM_MAY_IMPORT))


def polygear_apppkg():
    """gears/<tool>/src/apppkg/BUILD: the committed CWL package and OGC deploy document, for tests."""
    _tool()
    files(name="apppkg", sources=["*.cwl", "*.ogcapppkg.json"])
