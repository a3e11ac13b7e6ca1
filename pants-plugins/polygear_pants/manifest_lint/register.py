"""Pants backend: lint every docker_image gear against its manifest.json during `pants lint`."""

from polygear_pants.manifest_lint import rules as lint_rules


def rules():  # type: ignore[no-untyped-def]
    return lint_rules.rules()
