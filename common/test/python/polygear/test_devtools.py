"""Developer commands on a throw-away copy of a gear laid out as in this repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from polygear.apppkg.generate import main as apppkg_generate
from polygear.dev.cli import main

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "lint"
BUILD = """file(name="manifest", source="manifest.json")

docker_image(
    name="demo-gear",
    image_tags=["1.2.3", "latest"],
    dependencies=[":manifest", "gears/demo-gear/src/python/demo_app:bin"],
)
"""


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pants.toml").write_text('[docker]\ndefault_repository = "polygear/{name}"\n')
    docker = tmp_path / "gears/demo-gear/src/docker"
    docker.mkdir(parents=True)
    shutil.copy(FIXTURE / "manifest.json", docker / "manifest.json")
    shutil.copy(FIXTURE / "Dockerfile", docker / "Dockerfile")
    (docker / "BUILD").write_text(BUILD)
    app = tmp_path / "gears/demo-gear/src/python/demo_app"
    app.mkdir(parents=True)
    (app / "run.py").write_text("")
    (tmp_path / "gears/demo-gear/CHANGELOG.md").write_text(
        "# Changelog\n\n## Unreleased\n\n- Faster.\n\n## 1.2.3 - 2026-01-01\n\n- First.\n"
    )
    # A tool's application package is committed beside it (lint AP001), as in this repository.
    assert apppkg_generate([str(docker / "manifest.json")]) == 0
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_bump_changes_every_place_and_lint_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bump", "demo-gear", "minor"]) == 0
    m = json.loads((repo / "gears/demo-gear/src/docker/manifest.json").read_text())
    assert (m["version"], m["custom"]["gear-builder"]["image"]) == ("1.3.0", "polygear/demo-gear:1.3.0")
    assert 'image_tags=["1.3.0", "latest"]' in (repo / "gears/demo-gear/src/docker/BUILD").read_text()
    assert "## Unreleased\n\n## 1.3.0 - " in (repo / "gears/demo-gear/CHANGELOG.md").read_text()
    assert "demo-gear: 1.2.3 -> 1.3.0" in capsys.readouterr().err
    assert main(["bump", "demo-gear", "2.0.0-rc.1"]) == 0
    assert json.loads((repo / "gears/demo-gear/src/docker/manifest.json").read_text())["version"] == "2.0.0-rc.1"


def test_bump_refuses_when_build_disagrees(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build = repo / "gears/demo-gear/src/docker/BUILD"
    build.write_text(BUILD.replace('"1.2.3"', '"1.2.2"'))
    before = (repo / "gears/demo-gear/src/docker/manifest.json").read_text()
    assert main(["bump", "demo-gear", "patch"]) == 1
    assert "expected the current version '1.2.3' among the tags" in capsys.readouterr().err
    assert (repo / "gears/demo-gear/src/docker/manifest.json").read_text() == before


def test_upload_dry_run_lint_and_release_tag(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upload", "demo-gear", "--dry-run"]) == 0
    assert capsys.readouterr().out.strip() == "fw-beta gear upload gears/demo-gear/src/docker"
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"], check=True
    )
    subprocess.run(["git", "tag", "gears/demo-gear/v1.2.3"], check=True)
    assert main(["upload", "demo-gear", "--dry-run"]) == 1
    assert "error: gears/demo-gear/v1.2.3: this version is already released" in capsys.readouterr().err
    (repo / "gears/demo-gear/src/docker/BUILD").write_text(BUILD.replace('"1.2.3"', '"1.2.4"'))
    assert main(["upload", "demo-gear", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert (
        'manifest.json:version: expected "1.2.4" (the image version tag in gears/demo-gear/src/docker/BUILD), found "1.2.3"'
        in err
    )
    assert "lint failed with 2 problem(s); refusing to upload" in err


def test_release_check(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release-check", "refs/tags/gears/demo-gear/v1.2.3"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["pex_target"] == "gears/demo-gear/src/python/demo_app:bin"
    assert facts["image_target"] == "gears/demo-gear/src/docker:demo-gear"
    assert main(["release-check", "gears/demo-gear/v1.2.4"]) == 1
    assert (
        "tag version '1.2.4' does not match gears/demo-gear/src/docker/manifest.json version '1.2.3'"
        in capsys.readouterr().err
    )
    assert main(["release-check", "v1.2.3"]) == 1


def test_local_run_validates_like_the_engine(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = repo / "t.csv"
    table.write_text("a\n1\n")
    assert main(["run", "demo-gear", "-c", "limit=many", "-i", f"table={table}", "--pex", str(table)]) == 1
    assert capsys.readouterr().err.strip() == "error: config.limit: expected an integer, found 'many'"
    assert main(["run", "demo-gear", "-c", "column=a", "-i", f"tabel={table}", "--pex", str(table)]) == 1
    assert "error: inputs.tabel: unknown input" in capsys.readouterr().err
    assert main(["run", "nope"]) == 1
    assert "error: nope: no such gear" in capsys.readouterr().err
    assert not (repo / "dist").exists() or not any((repo / "dist").rglob("config.json"))
