"""Run a pipeline of `pipelines/` with cwltool: compiled to one CWL Workflow, each step its tool.

Without a container (the default when no engine is asked for) each step's `/bin/run` is that tool's
built pex; with `--image` the tools' images run. The run goes to a private folder and its outputs are
moved to the destination only when every step worked: a failed run publishes nothing and says which
step failed with the tool's own first error line.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polygear.core.bind import parse_assignments, refuse_unknown
from polygear.core.errors import UserError
from polygear.dev.cwl_run import failed_step, first_error, run_cwl
from polygear.sd2e.compile import compile_pipeline, render
from polygear.sd2e.definition import Pipeline


@dataclass(frozen=True)
class PipelineRun:
    outputs: dict[str, Any]
    outdir: Path
    log: str


def pipeline_job(pipeline: Pipeline, input_args: Sequence[str]) -> dict[str, Any]:
    given = parse_assignments(input_args, "-i")
    refuse_unknown(given, pipeline.inputs, "inputs", "pipeline input", declares="the pipeline declares")
    job: dict[str, Any] = {}
    for name in pipeline.inputs:
        if name not in given:
            raise UserError(f"inputs.{name}", f"required pipeline input is missing (give -i {name}=PATH)")
        path = Path(given[name])
        if not path.is_file():
            raise UserError(f"inputs.{name}", f"input file {path} does not exist or is not a file")
        job[name] = {"class": "File", "path": str(path.resolve())}
    return job


def run_pipeline(
    pipeline: Pipeline,
    job: dict[str, Any],
    outdir: Path,
    pexes: Mapping[str, Path] | None = None,
    engine: str | None = None,
    runner: str = "cwltool",
    images: Mapping[str, str] | None = None,
) -> PipelineRun:
    """`pexes`: tool name -> its pex (no container); otherwise the tools' images with `engine`.

    `runner`: "cwltool" (the reference implementation, in-process) or "toil" (toil-cwl-runner on
    this machine's cores; the same workflow runs on Slurm, Kubernetes or AWS: README). `images`: tool
    name -> an image to run instead of its released one (images under test)."""
    if outdir.exists() and any(outdir.iterdir()):
        raise UserError(str(outdir), "the output folder exists and is not empty; choose a new one")
    commands = None
    if pexes is not None:
        commands = {f"{step.spec.name}-tool": str(Path(pexes[step.spec.name]).resolve()) for step in pipeline.steps}
    with tempfile.TemporaryDirectory(prefix=f"pipeline-{pipeline.name}-") as scratch:
        package = Path(scratch) / f"{pipeline.name}.cwl"
        package.write_text(render(compile_pipeline(pipeline)), encoding="utf-8")
        staging = Path(scratch) / "out"
        # Each step's files stay in its own folder (same names from scattered runs do not collide);
        # _publish lays them out per output below.
        steps = [
            "--leave-outputs",
            "--leave-tmpdir",
            "--tmp-outdir-prefix",
            f"{scratch}/steps/",
            "--tmpdir-prefix",
            f"{scratch}/tmp/",
        ]
        run = run_cwl(package, pipeline.name, job, staging, commands, engine, extra_args=steps)
        if run.exit_code != 0:
            step = failed_step(run.log) or "(unknown step)"
            raise UserError(
                f"pipeline {pipeline.name}, step {step}", f"{first_error(run.log)}; no outputs were published"
            )
        outdir.mkdir(parents=True, exist_ok=True)
        published = {name: _publish(value, outdir / name) for name, value in run.outputs.items()}
    return PipelineRun(published, outdir, run.log)


def _publish(value: Any, folder: Path, names: frozenset[str] = frozenset()) -> Any:
    """Move one Workflow output's files to `folder` (scattered runs in `folder/<n>/`); their new paths.

    Steps that ran once per part would otherwise write files of the same name side by side. A runner
    that gathers every output in one folder (Toil) renames such files `name_2`, `name_3`: the name is
    restored when `name` is another file of the same output.
    """
    if isinstance(value, list):
        nested = any(isinstance(item, list) for item in value)
        names = names or frozenset(Path(p).name for p in _paths(value))
        return [_publish(item, folder / str(i) if nested else folder, names) for i, item in enumerate(value)]
    if isinstance(value, dict) and value.get("class") == "File":
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(value["path"]).name
        match = _RENAMED.fullmatch(name)
        if match and match.group(1) in names:
            name = match.group(1)
        target = folder / name
        shutil.move(value["path"], target)
        return str(target)
    return value


_RENAMED = re.compile(r"(.+)_([0-9]+)")


def _paths(value: Any) -> list[str]:
    if isinstance(value, list):
        return [p for item in value for p in _paths(item)]
    if isinstance(value, dict) and value.get("class") == "File":
        return [value["path"]]
    return []
