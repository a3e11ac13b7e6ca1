"""Running a notebook tool: the notebook carried in the pex, executed by papermill with typed values.

A notebook tool's run.py is `run_tool(notebook_compute())`. Its parameters are read from the
notebook itself (`polygear.notebook.params`), bound by the platform adapter against the manifest as
for any tool (lint rule NB001 keeps the two in agreement), then converted to the declared types —
papermill passes values as given, so `-c threshold=12` would otherwise reach a float parameter as an
int and `'12'` a string one as a number. Files are passed as paths, stage-in inputs as MAAP's list of
CWL File objects, stage-out parameters keep their glob. The kernel is the pex's own interpreter
(papermill's `python3` kernel is `sys.executable -m ipykernel_launcher`; the pex runs in a venv), so
the notebook sees exactly the libraries the pex was built with.

The notebook runs with the output folder as its working directory; what it writes there is the
tool's output, with the executed notebook beside it (`executed.ipynb`). A failing cell fails the run
in one line (cell number, exception, message) and nothing is published.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from polygear.core.errors import UserError
from polygear.core.run import Compute, RunContext
from polygear.core.spec import bundled_file
from polygear.notebook.params import NotebookParameter, coerce, read_parameters

log = logging.getLogger("polygear.notebook")

NOTEBOOK = "process.ipynb"  # gears/<tool>/src/notebook/process.ipynb, carried as polygear_tool/process.ipynb
EXECUTED = "executed.ipynb"
EXECUTED_GROUP = "notebook"  # the output group every notebook tool's manifest declares for it
KERNEL = "python3"
# Where Jupyter and IPython keep state: the run's private work folder, never the output folder or a
# HOME that a platform may make read-only (CWL gives each step a fresh one).
STATE_DIRS = {"JUPYTER_RUNTIME_DIR": "jupyter-runtime", "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib"}


def notebook_path(given: Path | None = None) -> Path:
    path = given or bundled_file(NOTEBOOK)
    if path is None:
        raise UserError(NOTEBOOK, "expected the tool's notebook in its pex (polygear_tool/process.ipynb), found none")
    return path


def parameter_values(params: list[NotebookParameter], ctx: RunContext) -> dict[str, Any]:
    """The values papermill injects: bound config and input paths, each as its declared type."""
    values: dict[str, Any] = {}
    for parameter in params:
        if parameter.kind == "stage_out":
            continue  # the glob stays the notebook's own default
        if parameter.kind in ("File", "stage_in"):
            path = ctx.input(parameter.name)
            if path is not None:
                path = path.resolve()  # the notebook runs in the output folder, not where the path was given
                values[parameter.name] = coerce(parameter, [path] if parameter.kind == "stage_in" else path)
        elif parameter.name in ctx.config:
            values[parameter.name] = coerce(parameter, ctx.config[parameter.name])
    return values


@contextmanager
def _state_dirs(work: Path) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in STATE_DIRS}
    for name, sub in STATE_DIRS.items():
        (work / sub).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(work / sub)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_notebook(notebook: Path, values: Mapping[str, Any], output_dir: Path, work_dir: Path) -> Path:
    import papermill  # type: ignore[import-untyped]  # heavy (nbclient, jupyter_client): only to run
    from papermill.exceptions import PapermillExecutionError  # type: ignore[import-untyped]

    executed = output_dir / EXECUTED
    with _state_dirs(work_dir):
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters=dict(values),
                cwd=str(output_dir),
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=True,
            )
        except PapermillExecutionError as exc:
            message = str(exc.evalue).strip().splitlines()[0] if str(exc.evalue).strip() else ""
            raise UserError(
                f"{NOTEBOOK}:cell {exc.exec_count}", f"the notebook raised {exc.ename}: {message}".rstrip(": ")
            ) from None
    return executed


def notebook_compute(notebook: Path | None = None) -> Compute:
    """The compute function of a notebook tool (the notebook in its pex unless one is given)."""

    def compute(ctx: RunContext) -> dict[str, Any]:
        path = notebook_path(notebook)
        params = read_parameters(path)
        values = parameter_values(params, ctx)
        log.info("running %s with %s", path.name, ", ".join(f"{k}={v!r}" for k, v in values.items()) or "defaults")
        run_notebook(path, values, ctx.output_dir, ctx.work_dir)
        produced = sorted(p.name for p in ctx.output_dir.iterdir() if p.is_file() and p.name != EXECUTED)
        return {"notebook": path.name, "parameters": sorted(values), "files": produced}

    return compute
