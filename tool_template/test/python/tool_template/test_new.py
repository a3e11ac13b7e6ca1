"""The generator's contract; the generated tool is built and tested by build-support/ci/selftests.sh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tool_template.new import main


def test_creates_a_complete_tool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["my-tool", "--title", "My Tool", "--gears-dir", str(tmp_path)]) == 0
    root = tmp_path / "my-tool"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == [
        "CHANGELOG.md",
        "Makefile",
        "README.md",
        "src/apppkg/BUILD",
        "src/apppkg/my-tool.cwl",
        "src/apppkg/my-tool.ogcapppkg.json",
        "src/docker/BUILD",
        "src/docker/Dockerfile",
        "src/docker/manifest.json",
        "src/python/my_tool_app/BUILD",
        "src/python/my_tool_app/__init__.py",
        "src/python/my_tool_app/main.py",
        "src/python/my_tool_app/run.py",
        "test/data/BUILD",
        "test/data/example.txt",
        "test/python/my_tool_app/BUILD",
        "test/python/my_tool_app/test_my_tool_app.py",
        "test/python/my_tool_app/test_my_tool_app_gear.py",
        "test/python/my_tool_app/test_my_tool_app_klms.py",
    ]
    manifest = json.loads((root / "src/docker/manifest.json").read_text())
    assert (manifest["name"], manifest["label"], manifest["version"]) == ("my-tool", "My Tool", "0.1.0")
    assert manifest["custom"]["gear-builder"]["image"] == "polygear/my-tool:0.1.0"
    assert 'name="my-tool"' in (root / "src/docker/BUILD").read_text()
    assert "FROM ${TOOL_BASE}" in (root / "src/docker/Dockerfile").read_text()
    assert (root / "src/python/my_tool_app/BUILD").read_text().splitlines()[-1] == "polygear_app()"
    assert "from my_tool_app.main import summarize_text" in (root / "src/python/my_tool_app/run.py").read_text()
    for path in root.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), path
    assert not list(tmp_path.glob(".*partial"))
    assert "created" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("My_Tool", "invalid tool name; expected lower-case letters, digits and '-'"),
        ("9lives", "start with a letter"),
        ("bad--name", "no trailing or double '-'"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_refuses_invalid_names(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str) -> None:
    assert main([name, "--gears-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_existing_tool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    assert main(["taken", "--gears-dir", str(tmp_path)]) == 1
    assert "a tool with this name already exists" in capsys.readouterr().err
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"
