"""Application-package lint rules (AP...): the committed CWL and OGC deploy document are current.

An ADES deploys `gears/<tool>/src/apppkg/<tool>.ogcapppkg.json` as it is; a manifest edited without
regenerating it would deploy the old parameters, defaults, resources or image. Every tool's manifest
(`gears/<tool>/src/docker/manifest.json`) is checked; manifests elsewhere (the lint tests' fixtures)
are not tools and have no package.
"""

from __future__ import annotations

from collections.abc import Iterator

from polygear.apppkg import cwl
from polygear.apppkg.generate import package_files
from polygear.apppkg.paths import REGENERATE, is_tool_manifest
from polygear.core.generated import committed_text
from polygear.core.lint import Problem, ToolFacts, rule
from polygear.core.spec import ToolSpec


@rule("AP001", "apppkg-current", "gears/<tool>/src/apppkg/ holds the CWL and ogcapppkg the manifest generates")
def apppkg_current(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    if not is_tool_manifest(facts.manifest):
        return
    problems = list(cwl.name_problems(spec))
    for field, expected, found in problems:
        yield Problem(str(facts.manifest), field, f"{expected} to generate its application package", found)
    if problems or not spec.image:
        return
    for path, text in package_files(facts.manifest, spec).items():
        committed = committed_text(path)
        if committed != text:
            expected = f"the file generated from {facts.manifest} (run: {REGENERATE})"
            yield Problem(str(path), "(file)", expected, "no file" if committed is None else "a stale file")
