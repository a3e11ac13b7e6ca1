"""Run a gear as a STELAR KLMS tool: task JSON in, MinIO objects staged, task JSON out.

The same compute function and the same manifest validation as on Flywheel: `parameters` are the
gear's config, `inputs` name the manifest's file inputs, and `outputs` name the groups of files the
gear declares in `custom.polygear.outputs` (a glob per name). The output JSON always gets written:
`status` is "success", or an HTTP-like code with a message — 400 bad task input, 409 an output
object exists (unless `"overwrite": true`), 424 an input object is missing, 500 the tool failed —
and on failure no output object is left in MinIO.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from polygear import redact
from polygear.config import validate_config
from polygear.errors import UserError
from polygear.jsonfile import read_json_object, write_json_atomic
from polygear.klms import storage
from polygear.klms.task import KlmsTask, ObjectPath
from polygear.manifest import Manifest
from polygear.memory import peak_rss_mb
from polygear.metadata import GearMetadata

log = logging.getLogger("polygear.klms")

Compute = Callable[..., Mapping[str, Any] | None]


class OutputExists(Exception):
    pass


def declared_outputs(manifest: Manifest) -> dict[str, str]:
    """name -> glob of the output files, from manifest `custom.polygear.outputs`."""
    custom = manifest.data.get("custom") or {}
    outs = (custom.get("polygear") or {}).get("outputs") or {}
    return {name: str(spec.get("glob", "*")) if isinstance(spec, dict) else str(spec) for name, spec in outs.items()}


def plan_uploads(
    outputs: Mapping[str, str], globs: Mapping[str, str], out_dir: Path
) -> dict[str, list[tuple[Path, ObjectPath]]]:
    """Where each produced file goes: a target ending in '/' (or matched by several files) is a
    prefix; a single file to a target without '/' goes to exactly that key."""
    plan: dict[str, list[tuple[Path, ObjectPath]]] = {}
    for name, target in outputs.items():
        files = sorted(p for p in out_dir.glob(globs[name]) if p.is_file() and not p.name.startswith("."))
        if len(files) == 1 and not target.endswith("/"):
            plan[name] = [(files[0], ObjectPath.parse(target, f"outputs.{name}"))]
        else:
            prefix = target.rstrip("/")
            plan[name] = [(f, ObjectPath.parse(f"{prefix}/{f.name}", f"outputs.{name}")) for f in files]
    return plan


def run_task(compute: Compute, manifest_path: Path, doc: dict[str, Any], work: Path) -> tuple[dict[str, Any], Any]:
    """The staged run; returns (outputs for the JSON, tool summary). Raises on any failure."""
    from polygear.engine import check_inputs, execute

    manifest = Manifest.load(manifest_path)
    manifest.require_valid()
    task = KlmsTask.parse(doc)
    redact.install(task.secret_values())
    config = validate_config(manifest.config_spec, task.parameters, where="parameters")
    globs = declared_outputs(manifest)
    for name in task.outputs:
        if name not in globs:
            known = ", ".join(sorted(globs)) or "none"
            raise UserError(
                f"outputs.{name}", f"unknown output (the manifest's custom.polygear.outputs declares: {known})"
            )
    declared = manifest.file_inputs()
    staged: list[tuple[ObjectPath, Path]] = []
    given: dict[str, Any] = {}
    for name, paths in task.inputs.items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise UserError(f"inputs.{name}", f"unknown input (the manifest declares: {known})")
        if len(paths) != 1:
            raise UserError(f"inputs.{name}", f"expected exactly one object for this input, found {len(paths)}")
        dest = work / "input" / name / (Path(paths[0].key).name or "object")
        staged.append((paths[0], dest))
        given[name] = str(dest)
    mc = storage.client(task.minio) if task.minio else None
    transfer = storage.Transfer()
    if mc is not None and staged:
        started = time.perf_counter()
        transfer.bytes_read = storage.download_all(mc, staged)
        log.info(
            "staged %d input object(s), %d bytes, in %.1f s",
            len(staged),
            transfer.bytes_read,
            time.perf_counter() - started,
        )
    inputs = check_inputs(manifest, given)
    inputs_cfg = {n: {"location": {"name": p.name}, "hierarchy": {"type": "acquisition"}} for n, p in inputs.items()}
    metadata = GearMetadata(inputs_cfg, "analysis")
    summary = execute(compute, manifest, config, inputs, work / "output", work / "work", metadata, write_metadata=False)
    plan = plan_uploads(task.outputs, globs, work / "output")
    targets = [obj for items in plan.values() for _, obj in items]
    if mc is not None and not task.overwrite:
        existing = [str(t) for t in targets if storage.exists(mc, t)]
        if existing:
            raise OutputExists(
                f"output object(s) already exist: {', '.join(existing[:5])}; set \"overwrite\": true to replace them"
            )
    uploaded: list[ObjectPath] = []
    try:
        for _, items in plan.items():
            for src, obj in items:
                if mc is None:
                    raise UserError("minio", "expected MinIO settings to upload outputs")
                transfer.bytes_written += storage.upload(mc, src, obj)
                uploaded.append(obj)
    except BaseException:
        if mc is not None:
            storage.remove(mc, uploaded)
        raise
    outputs: dict[str, Any] = {}
    for name, items in plan.items():
        keys = [str(obj) for _, obj in items]
        outputs[name] = keys[0] if len(keys) == 1 else keys
    summary = dict(summary)
    summary["bytes_read"], summary["bytes_written"] = transfer.bytes_read, transfer.bytes_written
    if metadata.as_dict():
        summary["metadata"] = metadata.as_dict()
    return outputs, summary


def run_klms(compute: Compute, manifest_path: Path, input_json: Path, output_json: Path) -> int:
    """The `/bin/run --klms IN OUT` entry: always writes OUT; exit 0 on success, 1 otherwise."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s", stream=sys.stderr)
    started = time.perf_counter()
    result: dict[str, Any] = {"message": "", "outputs": {}, "metrics": {}, "status": 500}
    secrets: list[str] = []
    try:
        doc = read_json_object(input_json, "KLMS task input")
        try:
            secrets = KlmsTask.parse(doc).secret_values()
        except UserError:
            pass
        with tempfile.TemporaryDirectory(prefix="polygear-klms-") as tmp:
            outputs, summary = run_task(compute, manifest_path, doc, Path(tmp))
        result.update(message="Tool executed successfully", outputs=outputs, status="success")
        result["metrics"].update(summary)
    except UserError as exc:
        result.update(message=str(exc), status=400)
    except storage.MissingObject as exc:
        result.update(message=f"input object {exc.path} does not exist ({exc.code})", status=424)
    except OutputExists as exc:
        result.update(message=str(exc), status=409)
    except Exception as exc:
        log.exception("tool failed")
        result.update(message=f"tool failed: {type(exc).__name__}: {exc}", status=500)
    result["metrics"].setdefault("bytes_read", 0)
    result["metrics"].setdefault("bytes_written", 0)
    result["metrics"]["wall_seconds"] = round(time.perf_counter() - started, 3)
    result["metrics"]["peak_rss_mb"] = peak_rss_mb()
    result["message"] = redact.redact_text(result["message"], secrets)
    write_json_atomic(output_json, result)
    if result["status"] != "success":
        print(f"error: {result['status']}: {result['message']}", file=sys.stderr)
        return 1
    return 0
