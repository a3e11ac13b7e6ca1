"""Pants backend: lint every docker_image gear against its manifest.json during `pants lint`."""

from typing import Any

from polygear_pants.manifest_lint import rules as lint_rules


def rules() -> list[Any]:
    return lint_rules.rules()
