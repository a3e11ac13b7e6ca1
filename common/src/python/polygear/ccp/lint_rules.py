"""CCP lint rules (CCP...): the committed Method is the one the manifest generates.

A Method registered on CCP is copied from `ccp_methods/<tool>.json`; a manifest edited without
regenerating it would publish the old parameters, defaults or image. The rule finds the committed
file beside the manifest's repository root (the nearest ancestor holding a `ccp_methods` folder:
the repository itself, or the lint sandbox Pants fills with `ccp_methods/*.json`). A manifest with no
such ancestor (a test's temporary folder), or not under that root's `gears/`, is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from polygear.ccp.method import METHODS_DIR, REGENERATE, TOOLS_DIR, method_for, name_problems, render
from polygear.core.generated import committed_text
from polygear.core.lint import Problem, ToolFacts, rule
from polygear.core.spec import ToolSpec


def methods_dir(manifest: Path) -> Path | None:
    """The `ccp_methods` folder of the repository a tool's manifest is in, or None.

    The root is the nearest ancestor holding `ccp_methods`; the manifest must sit under its `gears/`
    (where every tool lives), so that fixture manifests elsewhere in the repository (the lint tests'
    `common/test/data/lint/manifest.json`) are not taken for tools that lack a Method.
    """
    for folder in manifest.parents:
        if (folder / METHODS_DIR).is_dir():
            return folder / METHODS_DIR if manifest.relative_to(folder).parts[0] == TOOLS_DIR else None
    return None


@rule("CCP001", "ccp-method-current", "ccp_methods/<tool>.json is the Method the manifest generates")
def ccp_method_current(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    folder = methods_dir(facts.manifest)
    if folder is None:
        return
    problems = list(name_problems(spec))
    for field, expected, found in problems:
        yield Problem(str(facts.manifest), field, f"{expected} to generate its CCP Method", found)
    if problems:
        return
    text = render(method_for(spec))  # cannot raise now: name_problems is all method_for refuses
    path = folder / f"{spec.name}.json"
    committed = committed_text(path)
    if committed != text:
        expected = f"the Method generated from {facts.manifest} (run: {REGENERATE})"
        yield Problem(str(path), "(file)", expected, "no file" if committed is None else "a stale file")
