"""Every lint rule fails on a broken fixture, with its one-line message, and passes on the good one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from polygear.lint import lint_gear, main

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "lint"
MANIFEST_CTX = "gears/demo-gear/src/docker/manifest.json"
PEX = "gears.demo-gear.src.python.demo_app/bin.pex"
REFS = ["polygear/demo-gear:1.2.3", "polygear/demo-gear:latest"]


def lint(
    tmp: Path,
    edit: Callable[[dict[str, Any]], None] | None = None,
    refs: list[str] | None = None,
    dockerfile: str | None = None,
    name: str = "demo-gear",
    pex: list[str] | None = None,
) -> list[str]:
    data = json.loads((FIXTURE / "manifest.json").read_text())
    if edit:
        edit(data)
    m = tmp / "manifest.json"
    m.write_text(json.dumps(data))
    d = tmp / "Dockerfile"
    if dockerfile is None:
        shutil.copy(FIXTURE / "Dockerfile", d)
    else:
        d.write_text(dockerfile)
    findings = lint_gear(
        m,
        d,
        name,
        REFS if refs is None else refs,
        [PEX] if pex is None else pex,
        manifest_context_path=MANIFEST_CTX,
        build_file="BUILD",
    )
    return [str(f).replace(str(tmp) + "/", "") for f in findings]


def test_good_fixture_passes(tmp_path: Path) -> None:
    assert lint(tmp_path) == []


def test_name_must_match_target(tmp_path: Path) -> None:
    assert lint(tmp_path, name="other-gear") == [
        'manifest.json:name: expected "other-gear" (the docker_image target name in BUILD), found "demo-gear"'
    ]


def test_version_must_match_version_tag(tmp_path: Path) -> None:
    assert lint(tmp_path, refs=["polygear/demo-gear:1.2.4", "polygear/demo-gear:latest"]) == [
        'manifest.json:version: expected "1.2.4" (the image version tag in BUILD), found "1.2.3"',
        'manifest.json:custom.gear-builder.image: expected "polygear/demo-gear:1.2.4", found "polygear/demo-gear:1.2.3"',
    ]


def test_image_must_be_the_reference_pants_builds(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["custom"]["gear-builder"]["image"] = "someone/demo-gear:1.2.3"

    assert lint(tmp_path, edit) == [
        'manifest.json:custom.gear-builder.image: expected "polygear/demo-gear:1.2.3", found "someone/demo-gear:1.2.3"'
    ]


def test_latest_and_version_tags_required(tmp_path: Path) -> None:
    assert lint(tmp_path, refs=["polygear/demo-gear:1.2.3"]) == [
        'BUILD:image_tags: expected "latest" among the tags, found ["1.2.3"]'
    ]
    assert lint(tmp_path, refs=["polygear/demo-gear:latest"]) == [
        'BUILD:image_tags: expected a version tag "1.2.3" besides latest, found ["latest"]'
    ]


def test_schema_violations_are_reported_by_field(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["name"] = "Demo_Gear"
        del d["license"]

    out = lint(tmp_path, edit, name="Demo_Gear")
    assert "manifest.json:license: expected a value (required by the Flywheel manifest schema), found none" in out
    assert any(line.startswith('manifest.json:name: expected pattern "^[a-z0-9\\\\-]+$"') for line in out), out


@pytest.mark.parametrize(
    ("key", "spec", "expected"),
    [
        (
            "mode",
            {"type": "string", "enum": ["fast", "exact"], "default": "slow"},
            'manifest.json:config.mode.default: expected one of "fast", "exact", found "slow"',
        ),
        (
            "threshold",
            {"type": "number", "maximum": 1, "default": 2},
            "manifest.json:config.threshold.default: expected a value <= 1, found 2",
        ),
        (
            "limit",
            {"type": "integer", "default": "10"},
            'manifest.json:config.limit.default: expected an integer, found "10"',
        ),
    ],
)
def test_config_defaults_must_fit_their_declaration(
    tmp_path: Path, key: str, spec: dict[str, Any], expected: str
) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["config"][key] = spec

    assert expected in lint(tmp_path, edit)


def test_command_must_be_bin_run(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["command"] = "python run.py"

    assert lint(tmp_path, edit) == ['manifest.json:command: expected "/bin/run", found "python run.py"']


def test_dockerfile_must_copy_manifest_and_pex(tmp_path: Path) -> None:
    text = (FIXTURE / "Dockerfile").read_text()
    no_manifest = text.replace("gears/demo-gear/src/docker/manifest.json", "other/manifest.json")
    assert lint(tmp_path, dockerfile=no_manifest) == [
        f"Dockerfile:COPY: expected COPY {MANIFEST_CTX} /flywheel/v0/manifest.json, found no such instruction"
    ]
    wrong_pex = text.replace(PEX, "gears.other.src.python.other_app/bin.pex")
    assert lint(tmp_path, dockerfile=wrong_pex) == [
        f"Dockerfile:COPY: expected COPY {PEX} /bin/run, found no such instruction"
    ]
    assert lint(tmp_path, pex=[]) == [
        "BUILD:dependencies: expected this gear's pex_binary among the docker_image dependencies, found none"
    ]


def test_copy_into_directory_and_json_form_are_understood(tmp_path: Path) -> None:
    text = "FROM python:3.11-slim\n" f'COPY ["{MANIFEST_CTX}", "/flywheel/v0/"]\n' f"COPY {PEX} /bin/run\n"
    # Copying into /flywheel/v0/ keeps the file name manifest.json: accepted.
    assert lint(tmp_path, dockerfile=text) == []


def test_cli_exit_codes_and_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--manifest",
        str(FIXTURE / "manifest.json"),
        "--dockerfile",
        str(FIXTURE / "Dockerfile"),
        "--target-name",
        "demo-gear",
        "--pex",
        PEX,
    ]
    assert main([*args, "--image-ref", REFS[0], "--image-ref", REFS[1]]) == 1  # manifest path differs from MANIFEST_CTX
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            [
                {
                    "manifest": str(FIXTURE / "manifest.json"),
                    "dockerfile": str(FIXTURE / "Dockerfile"),
                    "manifest_context_path": MANIFEST_CTX,
                    "target_name": "demo-gear",
                    "image_refs": REFS,
                    "pex_paths": [PEX],
                }
            ]
        )
    )
    capsys.readouterr()
    assert main(["--spec", str(spec)]) == 0
    assert "1 gear(s) OK" in capsys.readouterr().err


def test_unreadable_manifest_is_one_finding(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    out = [str(f) for f in lint_gear(bad, None, "x", REFS, [PEX])]
    assert len(out) == 1 and out[0].startswith(f"{bad}:1:2:(file): expected a readable JSON object, found invalid JSON")
