"""The Flywheel adapter: /flywheel/v0/{manifest.json,config.json,input/,output/,work/} to a core run.

It opens fw-gear's GearContext (for Flywheel's logging setup), binds config.json's `config` and
`inputs` through the core with secrets redacted, runs the computation, and renders the run's
annotations as a schema-valid `.metadata.json` beside the published outputs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polygear.core import redact
from polygear.core.bind import bind_files, bind_parameters
from polygear.core.errors import UserError
from polygear.core.jsonfile import read_json_object
from polygear.core.run import Compute, RunResult, execute
from polygear.core.spec import ToolSpec
from polygear.flywheel import metadata
from polygear.flywheel.manifest_schema import require_valid

log = logging.getLogger("polygear.flywheel")

DEFAULT_GEAR_DIR = "/flywheel/v0"


def _gear_context(gear_dir: Path, manifest_path: Path, config_path: Path) -> Any:
    """fw-gear's GearContext without its Flywheel client.

    flywheel.Client contacts the server as soon as it is constructed (and retries for minutes when
    it is unreachable); no gear here calls the API, so the client is never built. A tool that needs
    it finds the job's API key in `ctx.secrets`.
    """
    from fw_gear.context import GearContext  # type: ignore[import-untyped]  # fw-gear ships no type hints

    class NoClientContext(GearContext):  # type: ignore[misc]  # GearContext is untyped (Any)
        def get_client(self) -> Any:
            return None

    return NoClientContext(gear_path=str(gear_dir), manifest_path=str(manifest_path), config_path=str(config_path))


def _secrets(inputs: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: str(v["key"])
        for name, v in inputs.items()
        if isinstance(v, Mapping) and v.get("base") == "api-key" and v.get("key")
    }


def _file_paths(spec: ToolSpec, inputs: Mapping[str, Any]) -> dict[str, str | None]:
    """config.json's input entries -> local paths, keeping the other declared inputs for `bind_files`."""
    paths: dict[str, str | None] = {}
    for name, entry in inputs.items():
        if name not in spec.file_inputs:
            paths[name] = None
            continue
        if not entry:
            continue
        raw = (entry.get("location") or {}).get("path") if isinstance(entry, Mapping) else entry
        if not raw:
            raise UserError(f"inputs.{name}", "input has no location.path")
        paths[name] = str(raw)
    return paths


def _check_output_folder(output: Path) -> None:
    """Say what is wrong with the destination before any work, instead of failing after it."""
    if output.exists() and not output.is_dir():
        raise UserError(str(output), "the output path is a file; expected a folder")
    if output.is_dir() and not os.access(output, os.W_OK):
        raise UserError(str(output), "the output folder is not writable")
    if not output.exists() and not os.access(output.parent, os.W_OK):
        raise UserError(str(output), "the output folder does not exist and cannot be created")


def run_flywheel(compute: Compute, gear_dir: Path) -> RunResult:
    manifest_path, config_path = gear_dir / "manifest.json", gear_dir / "config.json"
    spec = ToolSpec.load(manifest_path)
    require_valid(spec)
    raw_config = read_json_object(config_path, "gear config")
    # The shape first: fw-gear reads config.json too, and fails on a list where an object belongs.
    for key in ("config", "inputs", "destination"):
        if raw_config.get(key) is not None and not isinstance(raw_config[key], dict):
            raise UserError(f"{config_path}:{key}", f"expected an object, found {type(raw_config[key]).__name__}")
    inputs_cfg = raw_config.get("inputs") or {}
    secrets = _secrets(inputs_cfg)
    redact.install(secrets.values())
    _check_output_folder(gear_dir / "output")
    context = _gear_context(gear_dir, manifest_path, config_path)
    context.init_logging()
    redact.install(secrets.values())  # init_logging replaced the handlers
    opts = raw_config.get("config") or {}
    config = bind_parameters(spec.parameters, opts)
    inputs = bind_files(spec, _file_paths(spec, inputs_cfg))
    for key, value in config.items():
        log.info('config "%s" = %r', key, value)
    for name, path in inputs.items():
        log.info('input "%s" = %s', name, path)
    destination_type = (raw_config.get("destination") or {}).get("type", "analysis")

    def check(annotations: Any) -> None:
        metadata.check(metadata.render(annotations, inputs_cfg, destination_type))

    result = execute(
        compute, spec, config, inputs, gear_dir / "output", gear_dir / "work", secrets, check_annotations=check
    )
    metadata.write(gear_dir / "output", metadata.render(result.annotations, inputs_cfg, destination_type))
    return result
