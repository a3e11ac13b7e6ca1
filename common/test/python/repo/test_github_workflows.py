"""Every GitHub workflow validates against GitHub's workflow schema (check-jsonschema's bundled copy).

GitHub refuses a whole workflow it cannot parse, silently: no push or pull request would be checked.
This test runs in `./pants test ::`, so a broken workflow cannot land.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOWS = sorted(Path(".github/workflows").glob("*.yml"))


def check(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "release.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_validates(workflow: Path) -> None:
    result = check([workflow])
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_plain_scalar_ending_with_a_colon_is_refused(tmp_path: Path) -> None:
    """The bug this test exists for: `run: ./pants ... test ::` is not YAML."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-22.04\n    steps:\n"
        "      - name: goals\n        run: ./pants lint test ::\n"
    )
    result = check([broken])
    assert result.returncode != 0
    assert "broken.yml" in result.stdout + result.stderr
