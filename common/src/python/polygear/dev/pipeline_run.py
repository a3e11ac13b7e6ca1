"""Run a pipeline of `pipelines/` with cwltool: compiled to one CWL Workflow, each step its tool.

Without a container (the default when no engine is asked for) each step's `/bin/run` is that tool's
built pex; with `--image` the tools' images run. The run goes to a private folder and its outputs are
moved to the destination only when every step worked: a failed run publishes nothing and says which
step failed with the tool's own first error line.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from polygear.core.bind import parse_assignments, refuse_unknown
from polygear.core.errors import UserError
from polygear.dev.cwl_run import failed_step, first_error, run_cwl, run_toil, toil_failed_job
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
        pulled = {f"{name}-tool": image for name, image in images.items()} if images else None
        if runner == "toil":
            if pulled:
                raise UserError("--engine toil", "expected the released images with Toil (images under test: cwltool)")
            run = run_toil(package, pipeline.name, job, staging, commands)
        elif runner == "cwltool":
            run = run_cwl(package, pipeline.name, job, staging, commands, engine, pulled, extra_args=steps)
        else:
            raise UserError("--engine", f"expected cwltool or toil, found {runner!r}")
        if run.exit_code != 0:
            step = failed_step(run.log) or _toil_step(pipeline, toil_failed_job(run.log)) or "(unknown step)"
            raise UserError(
                f"pipeline {pipeline.name}, step {step}", f"{first_error(run.log)}; no outputs were published"
            )
        # Laid out beside the destination (same filesystem), renamed into place only when complete.
        outdir.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.partial-", dir=outdir.parent))
        try:
            published = {name: _publish(value, partial / name) for name, value in run.outputs.items()}
            if outdir.exists():
                outdir.rmdir()  # empty: checked above
            os.replace(partial, outdir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        published = _relocated(published, partial, outdir)
    return PipelineRun(published, outdir, run.log)


def _toil_step(pipeline: Pipeline, job: str | None) -> str | None:
    """The step of a failed Toil job: named in it, or the one step running the tool it names."""
    if job is None:
        return None
    parts = job.split(".")
    named = [s.id for s in pipeline.steps if s.id in parts]
    by_tool = [s.id for s in pipeline.steps if f"{s.spec.name}-tool" in parts]
    for candidates in (named, by_tool):
        if len(candidates) == 1:
            return candidates[0]
    return None


def _relocated(value: Any, old: Path, new: Path) -> Any:
    if isinstance(value, dict):
        return {k: _relocated(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_relocated(v, old, new) for v in value]
    if isinstance(value, str) and value.startswith(str(old)):
        return str(new) + value[len(str(old)) :]
    return value


def _file_path(value: dict[str, Any]) -> str:
    """A CWL File's local path (cwltool gives `path`; Toil may give only a file:// `location`)."""
    if value.get("path"):
        return str(value["path"])
    return unquote(urlsplit(str(value.get("location", ""))).path)


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
    if isinstance(value, dict) and value.get("class") == "Directory":
        raise UserError(
            f"output {folder.name}", "expected File outputs (a pipeline step's Directory output is not published)"
        )
    if isinstance(value, dict) and value.get("class") == "File":
        folder.mkdir(parents=True, exist_ok=True)
        source = _file_path(value)
        name = Path(source).name
        match = _RENAMED.fullmatch(name)
        if match and match.group(1) in names:
            name = match.group(1)
        target = folder / name
        shutil.move(source, target)
        return str(target)
    return value


_RENAMED = re.compile(r"(.+)_([0-9]+)")


def _paths(value: Any) -> list[str]:
    if isinstance(value, list):
        return [p for item in value for p in _paths(item)]
    if isinstance(value, dict) and value.get("class") == "File":
        return [_file_path(value)]
    return []
