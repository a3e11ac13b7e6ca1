"""The run contract every platform adapter shares: a context in, staged outputs, a result out.

A tool's run.py declares `compute(ctx: RunContext)`, mapping bound parameters and input files onto
`main.<function>(...)`. Adapters (Flywheel, KLMS, ...) bind what their platform hands over, then call
`execute`, which runs the computation into a private staging folder and publishes the outputs only
if everything worked, so no platform ever sees half a result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polygear.core.annotations import Annotations
from polygear.core.errors import UserError
from polygear.core.outputs import StagedOutputs
from polygear.core.spec import ToolSpec

log = logging.getLogger("polygear.run")

EXIT_OK, EXIT_USER_ERROR, EXIT_CRASH = 0, 1, 2


@dataclass
class RunContext:
    """What a tool's compute function sees: bound parameters, input paths and a staging output dir."""

    config: dict[str, Any]
    inputs: dict[str, Path]
    output_dir: Path
    work_dir: Path
    annotations: Annotations = field(default_factory=Annotations)
    # Secret inputs by name (a platform API key): for tools that call their platform; never logged.
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def input(self, name: str) -> Path | None:
        return self.inputs.get(name)

    def params(self, *names: str) -> dict[str, Any]:
        """The named parameters as keyword arguments for a tool's main function."""
        return {name: self.config[name] for name in names}

    def require_input(self, name: str) -> Path:
        path = self.inputs.get(name)
        if path is None:
            raise UserError(f"inputs.{name}", "this input is required for the chosen configuration")
        return path


Compute = Callable[[RunContext], Mapping[str, Any] | None]


@dataclass(frozen=True)
class RunResult:
    """What `execute` hands back to the adapter that renders it for its platform."""

    summary: dict[str, Any]
    published: list[Path]
    annotations: Annotations


def execute(
    compute: Compute,
    spec: ToolSpec,
    config: dict[str, Any],
    inputs: dict[str, Path],
    output_dir: Path,
    work_dir: Path,
    secrets: Mapping[str, str] | None = None,
    check_annotations: Callable[[Annotations], None] | None = None,
) -> RunResult:
    """Run `compute` with staged outputs; publish the outputs only if everything worked.

    `check_annotations` lets an adapter refuse annotations its platform could not store (raise)
    while nothing is published yet.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with StagedOutputs(output_dir) as staged:
        ctx = RunContext(config, inputs, staged.staging, work_dir, Annotations(), dict(secrets or {}))
        summary = dict(compute(ctx) or {})
        if check_annotations is not None:
            check_annotations(ctx.annotations)
        published = staged.publish()
    summary.setdefault("outputs", [p.name for p in published])
    summary["wall_seconds"] = round(time.perf_counter() - started, 3)
    log.info("%s %s finished: %d output(s) in %s", spec.name, spec.version, len(published), output_dir)
    return RunResult(summary, published, ctx.annotations)
