"""Notebook-tool lint rules (NB...): the notebook's parameters cell and the manifest say the same.

A notebook tool has two descriptions of its parameters: the `parameters` cell (what the notebook
reads, typed by MAAP's rules) and the manifest (what every platform binds and every generated
descriptor carries). NB001 fails on the first disagreement — a missing or extra parameter, another
type, default or optionality, a stage-out glob the manifest's outputs do not carry — and on a
notebook the typing refuses, and asks for the executed notebook's output group.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

from polygear.core.errors import UserError
from polygear.core.lint import Problem, ToolFacts, rule
from polygear.core.spec import ToolSpec
from polygear.notebook.execute import EXECUTED, EXECUTED_GROUP, NOTEBOOK
from polygear.notebook.params import disagreements, read_parameters

NOTEBOOK_DIR = "notebook"


def notebook_of(manifest: Path) -> Path:
    """`gears/<tool>/src/notebook/process.ipynb` for `gears/<tool>/src/docker/manifest.json`."""
    return Path(manifest).parent.parent / NOTEBOOK_DIR / NOTEBOOK


@rule("NB001", "notebook-matches-manifest", "a notebook tool's parameters cell agrees with its manifest")
def notebook_matches_manifest(facts: ToolFacts, spec: ToolSpec) -> Iterator[Problem]:
    notebook = notebook_of(facts.manifest)
    if not notebook.is_file():
        return
    try:
        params = read_parameters(notebook)
    except UserError as exc:
        yield Problem(exc.where, "(notebook)", "a notebook whose parameters can be typed", exc.message)
        return
    group = spec.outputs.get(EXECUTED_GROUP)
    if group is None or group.glob != EXECUTED:
        found = "none" if group is None else json.dumps(group.glob)
        yield Problem(str(facts.manifest), f"custom.polygear.outputs.{EXECUTED_GROUP}", f"glob {EXECUTED!r}", found)
    data = copy.deepcopy(spec.data)
    data.get("custom", {}).get("polygear", {}).get("outputs", {}).pop(EXECUTED_GROUP, None)
    for field, expected, found in disagreements(params, data):
        yield Problem(str(facts.manifest), field, f"{expected} (as {notebook} declares)", found)
