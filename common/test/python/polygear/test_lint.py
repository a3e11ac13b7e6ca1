"""Every lint rule fails on a broken fixture with its one-line message and id, and passes on the good one."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from polygear.core.lint import REGISTRY, ToolFacts, lint_tool
from polygear.lint import main, rules_table

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "lint"
BASE_DOCKERFILE = Path("common/src/docker/Dockerfile")  # the real tool base, in the test sandbox
MANIFEST_CTX = "gears/demo-gear/src/docker/manifest.json"
PEX = "pex/demo-gear.pex"
REFS = ["polygear/demo-gear:1.2.3", "polygear/demo-gear:latest"]


def lint(
    tmp: Path,
    edit: Callable[[dict[str, Any]], None] | None = None,
    refs: list[str] | None = None,
    dockerfile: str | None = None,
    name: str = "demo-gear",
    pex: list[str] | None = None,
    lint_toml: str | None = None,
    base: Path | None = None,
    build_args: dict[str, str] | None = None,
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
    config = None
    if lint_toml is not None:
        config = tmp / "lint.toml"
        config.write_text(lint_toml)
    facts = ToolFacts(
        manifest=m,
        target_name=name,
        image_refs=tuple(REFS if refs is None else refs),
        pex_paths=tuple([PEX] if pex is None else pex),
        dockerfile=d,
        manifest_context_path=MANIFEST_CTX,
        build_file="BUILD",
        lint_config=config,
        base_dockerfile=base,
        build_args=tuple((build_args or {}).items()),
    )
    return [str(f).replace(str(tmp) + "/", "") for f in lint_tool(facts)]


def test_good_fixture_passes(tmp_path: Path) -> None:
    assert lint(tmp_path) == []


def test_every_rule_has_an_id_a_name_a_doc_and_a_severity() -> None:
    assert len(REGISTRY) >= 14
    for rule_id, rule in REGISTRY.items():
        assert re.fullmatch(r"(PG|FW|CCP|AP|NB)\d{3}", rule_id) and rule.id == rule_id
        assert rule.name and rule.doc and rule.severity in ("error", "warning")
    names = [r.name for r in REGISTRY.values()]
    assert len(names) == len(set(names))
    table = rules_table()
    assert table.splitlines()[0].startswith("AP001  error    apppkg-current")
    assert "NB001  error    notebook-matches-manifest" in table
    assert "PG002  error    name-matches-target" in table


def test_name_must_match_target(tmp_path: Path) -> None:
    assert lint(tmp_path, name="other-gear") == [
        'manifest.json:name: expected "other-gear" (the docker_image target name in BUILD), found "demo-gear" [PG002]'
    ]


def test_version_must_match_version_tag(tmp_path: Path) -> None:
    assert lint(tmp_path, refs=["polygear/demo-gear:1.2.4", "polygear/demo-gear:latest"]) == [
        'manifest.json:version: expected "1.2.4" (the image version tag in BUILD), found "1.2.3" [PG004]',
        'manifest.json:custom.gear-builder.image: expected "polygear/demo-gear:1.2.4", found "polygear/demo-gear:1.2.3"'
        " [PG006]",
    ]


def test_image_must_be_the_reference_pants_builds(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["custom"]["gear-builder"]["image"] = "someone/demo-gear:1.2.3"

    assert lint(tmp_path, edit) == [
        'manifest.json:custom.gear-builder.image: expected "polygear/demo-gear:1.2.3", found "someone/demo-gear:1.2.3"'
        " [PG006]"
    ]


def test_latest_and_version_tags_required(tmp_path: Path) -> None:
    assert lint(tmp_path, refs=["polygear/demo-gear:1.2.3"]) == [
        'BUILD:image_tags: expected "latest" among the tags, found ["1.2.3"] [PG005]'
    ]
    assert lint(tmp_path, refs=["polygear/demo-gear:latest"]) == [
        'BUILD:image_tags: expected a version tag "1.2.3" besides latest, found ["latest"] [PG003]'
    ]


def test_schema_violations_are_reported_by_field(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["name"] = "Demo_Gear"
        del d["license"]

    out = lint(tmp_path, edit, name="Demo_Gear")
    assert (
        "manifest.json:license: expected a value (required by the Flywheel manifest schema), found none [FW001]" in out
    )
    assert any(line.startswith('manifest.json:name: expected pattern "^[a-z0-9\\\\-]+$"') for line in out), out


@pytest.mark.parametrize(
    ("key", "spec", "expected"),
    [
        (
            "mode",
            {"type": "string", "enum": ["fast", "exact"], "default": "slow"},
            'manifest.json:config.mode.default: expected one of "fast", "exact", found "slow" [PG007]',
        ),
        (
            "threshold",
            {"type": "number", "maximum": 1, "default": 2},
            "manifest.json:config.threshold.default: expected a value <= 1, found 2 [PG007]",
        ),
        (
            "limit",
            {"type": "integer", "default": "10"},
            'manifest.json:config.limit.default: expected an integer, found "10" [PG007]',
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

    assert lint(tmp_path, edit) == ['manifest.json:command: expected "/bin/run", found "python run.py" [FW002]']


def test_dockerfile_must_copy_manifest_and_pex(tmp_path: Path) -> None:
    text = (FIXTURE / "Dockerfile").read_text()
    no_manifest = text.replace("gears/demo-gear/src/docker/manifest.json", "other/manifest.json")
    assert lint(tmp_path, dockerfile=no_manifest) == [
        f"Dockerfile:COPY: expected COPY {MANIFEST_CTX} /flywheel/v0/manifest.json, found no such instruction [FW003]"
    ]
    wrong_pex = text.replace(PEX, "pex/other.pex")
    assert lint(tmp_path, dockerfile=wrong_pex) == [
        f"Dockerfile:COPY: expected COPY {PEX} /bin/run, found no such instruction [PG008]"
    ]
    assert lint(tmp_path, pex=[]) == [
        "BUILD:dependencies: expected this gear's pex_binary among the docker_image dependencies, found none [PG008]"
    ]


def test_copy_into_directory_and_json_form_are_understood(tmp_path: Path) -> None:
    text = "FROM python:3.11-slim\n" f'COPY ["{MANIFEST_CTX}", "/flywheel/v0/"]\n' f"COPY {PEX} /bin/run\n"
    # Copying into /flywheel/v0/ keeps the file name manifest.json: accepted.
    assert lint(tmp_path, dockerfile=text) == []


def test_the_tool_base_onbuild_copies_count_with_the_tool_build_arg(tmp_path: Path) -> None:
    tool_dockerfile = "ARG TOOL_BASE=common/src/docker:tool-base\nFROM ${TOOL_BASE}\n"
    assert lint(tmp_path, dockerfile=tool_dockerfile, base=BASE_DOCKERFILE, build_args={"TOOL": "demo-gear"}) == []
    wrong = lint(tmp_path, dockerfile=tool_dockerfile, base=BASE_DOCKERFILE, build_args={"TOOL": "other"})
    assert wrong == [
        f"Dockerfile:COPY: expected COPY {PEX} /bin/run, found no such instruction [PG008]",
        f"Dockerfile:COPY: expected COPY {MANIFEST_CTX} /flywheel/v0/manifest.json, found no such instruction [FW003]",
    ]


def test_output_groups_and_resources_are_checked(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["custom"]["polygear"] = {
            "outputs": {"report": {"glob": "../escape/*", "description": ""}},
            "resources": {"cores_min": 4, "cores_max": 2, "ram_min_mb": 0},
        }

    out = lint(tmp_path, edit)
    assert out == [
        'manifest.json:custom.polygear.outputs.report.glob: expected a glob relative to the output folder, found "../escape/*" [PG009]',
        'manifest.json:custom.polygear.outputs.report.description: expected a non-empty description, found "" [PG009]',
        "manifest.json:custom.polygear.resources.ram_min_mb: expected a positive integer, found 0 [PG010]",
    ]


def test_a_rule_is_turned_off_per_tool_with_a_reason(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["command"] = "/bin/sh /run.sh"

    assert lint(tmp_path, edit, lint_toml='[disable]\nFW002 = "starts through run.sh on purpose"\n') == []
    assert lint(tmp_path, edit, lint_toml='[disable]\nFW002 = "  "\nXX999 = "why"\n[extra]\n') == [
        'lint.toml:extra: expected only a [disable] table, found "extra" [PG000]',
        'lint.toml:disable.FW002: expected a non-empty reason for turning the rule off, found "  " [PG000]',
        "lint.toml:disable.XX999: expected a rule id (AP001, CCP001, FW001, FW002, FW003, NB001, PG000, PG001, PG002, PG003, "
        'PG004, PG005, PG006, PG007, PG008, PG009, PG010), found "XX999" [PG000]',
        'manifest.json:command: expected "/bin/run", found "/bin/sh /run.sh" [FW002]',
    ]
    assert lint(tmp_path, lint_toml="[disable\n")[0].startswith("lint.toml:(file): expected a readable TOML file")


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
    assert "1 tool(s) OK" in capsys.readouterr().err
    assert main(["--list-rules"]) == 0
    assert capsys.readouterr().out == rules_table() + "\n"


def test_unreadable_manifest_is_one_finding(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    out = [str(f) for f in lint_tool(ToolFacts(manifest=bad, target_name="x", image_refs=tuple(REFS)))]
    assert len(out) == 1 and out[0].startswith(f"{bad}:1:2:(file): expected a readable JSON object, found invalid JSON")
    assert out[0].endswith("[PG001]")
