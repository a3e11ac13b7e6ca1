"""Lay out a /flywheel/v0-style folder for a local run, the way Flywheel would for a job.

Flywheel writes config.json (config values and input file locations), places inputs under
input/<name>/<file> and collects output/. Building the same folder locally lets the gear's own
entry point run unchanged, as a pex on the host or as its image with the folder mounted.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polygear.core.bind import config_from_cli, parse_assignments, refuse_unknown
from polygear.core.errors import UserError
from polygear.core.jsonfile import write_json_atomic
from polygear.core.spec import ToolSpec
from polygear.flywheel.manifest_schema import require_valid

LOCAL_ID = "local"


def _input_files(manifest: ToolSpec, files: dict[str, str]) -> dict[str, str]:
    """`-i name=path` checked against the manifest's file inputs, before anything is written."""
    declared = manifest.file_inputs
    refuse_unknown(files, declared, "inputs", "input", declares="the manifest declares file inputs")
    for name, path in files.items():
        if not Path(path).is_file():
            raise UserError(f"inputs.{name}", f"input file {path} does not exist or is not a file")
    for name, spec in declared.items():
        if name not in files and not spec.get("optional"):
            raise UserError(f"inputs.{name}", f"required input file is missing (give -i {name}=PATH)")
    return files


def build_gear_dir(
    manifest_path: Path,
    dest: Path,
    config_args: Sequence[str] = (),
    input_args: Sequence[str] = (),
    api_key: str | None = None,
    container_root: str | None = None,
) -> Path:
    """Create `dest` (which must not exist or be empty) laid out as /flywheel/v0.

    `container_root` (e.g. "/flywheel/v0") writes input paths as the container will see them when
    `dest` is mounted there; otherwise paths point into `dest` on this machine.
    """
    manifest = ToolSpec.load(manifest_path)
    require_valid(manifest)
    config = config_from_cli(manifest, parse_assignments(config_args, "-c"))
    files = _input_files(manifest, parse_assignments(input_args, "-i"))
    if api_key is not None and not manifest.secret_inputs:
        raise UserError("--api-key", "this gear's manifest declares no api-key input")

    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise UserError(str(dest), "folder exists and is not empty; choose a new --out folder")
    root = Path(container_root) if container_root else dest.resolve()
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "output").mkdir(parents=True)
    (tmp / "work").mkdir()
    shutil.copyfile(manifest_path, tmp / "manifest.json")
    inputs: dict[str, Any] = {}
    for name, path in files.items():
        src = Path(path)
        target = tmp / "input" / name / src.name
        target.parent.mkdir(parents=True)
        try:
            os.link(src, target)  # free for large inputs on the same filesystem
        except OSError:
            shutil.copyfile(src, target)
        inputs[name] = {
            "base": "file",
            "hierarchy": {"type": "acquisition", "id": LOCAL_ID},
            "location": {"path": str(root / "input" / name / src.name), "name": src.name},
            "object": {
                "size": src.stat().st_size,
                "mimetype": mimetypes.guess_type(src.name)[0] or "application/octet-stream",
                "info": {},
                "tags": [],
            },
        }
    for name in manifest.secret_inputs:
        if api_key:
            inputs[name] = {"base": "api-key", "key": api_key}
    write_json_atomic(
        tmp / "config.json",
        {"config": config, "inputs": inputs, "destination": {"type": "analysis", "id": LOCAL_ID}},
    )
    if dest.exists():
        dest.rmdir()
    os.replace(tmp, dest)
    return dest
