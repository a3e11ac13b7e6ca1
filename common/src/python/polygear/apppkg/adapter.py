"""The command-line mode: `/bin/run --output-dir DIR -c NAME=VALUE -i NAME=PATH`.

CWL runs a tool as a command line (its CommandLineTool passes each input as one `-c`/`-i` word and
globs the outputs in its output folder), and so do pipeline steps. Values arrive as text and are
typed by the manifest, then bound exactly as on Flywheel and KLMS, so a wrong value reads the same
everywhere (`config.top_n: expected an integer, found 'ten'`). Outputs appear in DIR only when the
whole run worked; there is no platform metadata to write, so the run's summary is logged.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from polygear.core.bind import bind_files, config_from_cli, parse_assignments
from polygear.core.errors import UserError
from polygear.core.run import Compute, RunResult, execute
from polygear.core.spec import ToolSpec

log = logging.getLogger("polygear.apppkg")


def run_command_line(
    compute: Compute, manifest: Path, output_dir: Path, config_args: Sequence[str], input_args: Sequence[str]
) -> RunResult:
    spec = ToolSpec.load(manifest)
    config = config_from_cli(spec, parse_assignments(config_args, "-c"))
    inputs = bind_files(spec, parse_assignments(input_args, "-i"))
    if output_dir.exists() and not output_dir.is_dir():
        raise UserError(f"--output-dir {output_dir}", "expected a folder, found a file")
    output_dir.mkdir(parents=True, exist_ok=True)
    for key, value in config.items():
        log.info('config "%s" = %r', key, value)
    for name, path in inputs.items():
        log.info('input "%s" = %s', name, path)
    with tempfile.TemporaryDirectory(prefix=f"{spec.name}-work-") as work:
        result = execute(compute, spec, config, inputs, output_dir, Path(work))
    log.info("summary: %s", json.dumps(result.summary, default=str, sort_keys=True))
    return result
