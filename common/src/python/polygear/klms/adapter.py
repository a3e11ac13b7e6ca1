"""Run a tool as a STELAR KLMS tool: task JSON in, MinIO objects staged, task JSON out.

The same compute function and the same binding as on every platform: `parameters` are the tool's
parameters, `inputs` name the manifest's file inputs, and `outputs` name the tool's output groups
(`ToolSpec.outputs`, a glob per name). The output JSON always gets written, in the shape the STELAR
API accepts (see `output.py`): `status` is "success", or an HTTP-like code with a message — 400 bad
task input, 409 an output object exists (unless `"overwrite": true`), 424 an input object is
missing, 500 the tool failed — and on failure no output object is left in MinIO.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import urllib3
from minio import Minio

from polygear.core import redact
from polygear.core.bind import bind_files, bind_parameters, refuse_unknown
from polygear.core.errors import UserError
from polygear.core.jsonfile import read_json_object, write_json_atomic
from polygear.core.memory import peak_rss_mb, release_free_memory
from polygear.core.run import Compute, execute
from polygear.core.signals import Cancelled, cancellable
from polygear.core.spec import ToolSpec
from polygear.klms import output, storage
from polygear.klms.task import KlmsTask, ObjectPath

log = logging.getLogger("polygear.klms")


class OutputExists(Exception):
    pass


Plan = dict[str, tuple[str, list[tuple[Path, ObjectPath]]]]


def plan_uploads(outputs: Mapping[str, str], globs: Mapping[str, str], out_dir: Path) -> Plan:
    """name -> (the string posted for it, where each produced file goes).

    A target ending in '/' (or matched by several files) is a prefix and is posted as `prefix/`;
    a single file to a target without '/' goes to exactly that key, which is posted.
    """
    plan: Plan = {}
    for name, target in outputs.items():
        # Every matched file, dot-files and files in (dot-)folders included: a group that matched a
        # file uploads it, keyed by its path inside the output folder, or the run fails.
        files = sorted(p for p in out_dir.glob(globs[name]) if p.is_file())
        if len(files) == 1 and not target.endswith("/"):
            obj = ObjectPath.parse(target, f"outputs.{name}")
            plan[name] = (str(obj), [(files[0], obj)])
        else:
            prefix = target.rstrip("/")
            items = [
                (f, ObjectPath.parse(f"{prefix}/{f.relative_to(out_dir).as_posix()}", f"outputs.{name}")) for f in files
            ]
            plan[name] = (f"{prefix.removeprefix('s3://')}/", items)
    return plan


def _check_outputs(spec: ToolSpec, task: KlmsTask) -> dict[str, str]:
    """name -> glob for every requested output; an output the tool does not declare is a 400."""
    globs = {name: group.glob for name, group in spec.outputs.items()}
    refuse_unknown(task.outputs, globs, "outputs", "output", declares="the manifest's custom.polygear.outputs declares")
    return globs


def _plan_downloads(spec: ToolSpec, task: KlmsTask, work: Path) -> list[tuple[str, ObjectPath, Path]]:
    """(input name, object, local path) for every input; unknown inputs and lists are a 400."""
    refuse_unknown(task.inputs, spec.file_inputs, "inputs", "input")
    planned: list[tuple[str, ObjectPath, Path]] = []
    for name, paths in task.inputs.items():
        if len(paths) != 1:
            raise UserError(f"inputs.{name}", f"expected exactly one object for this input, found {len(paths)}")
        planned.append((name, paths[0], work / "input" / name / (Path(paths[0].key).name or "object")))
    return planned


def _upload(mc: Minio | None, plan: Plan, overwrite: bool) -> int:
    """Upload every planned file, all or nothing; returns the bytes written."""
    targets = [obj for _, items in plan.values() for _, obj in items]
    if mc is None:
        if targets:
            raise UserError("minio", "expected MinIO settings to upload outputs")
        return 0
    if not overwrite:
        existing = [str(t) for t in storage.existing(mc, targets)]
        if existing:
            raise OutputExists(
                f"output object(s) already exist: {', '.join(existing[:5])}; set \"overwrite\": true to replace them"
            )
    items = [(src, obj) for _, group in plan.values() for src, obj in group]
    started: list[ObjectPath] = []  # an upload stopped half-way (a failure, a signal) is removed too
    try:
        written = storage.upload_all(mc, items, started)
    except BaseException:
        storage.remove(mc, list(started))
        raise
    return written


def run_task(
    compute: Compute, manifest_path: Path, doc: dict[str, Any], work: Path
) -> tuple[dict[str, str], dict[str, Any]]:
    """The staged run; returns (outputs for the JSON, tool summary). Raises on any failure."""
    spec = ToolSpec.load(manifest_path)
    task = KlmsTask.parse(doc)
    redact.install(task.secret_values())
    config = bind_parameters(spec.parameters, task.parameters, where="parameters")
    globs = _check_outputs(spec, task)
    downloads = _plan_downloads(spec, task, work)
    mc = storage.client(task.minio) if task.minio else None
    transfer = storage.Transfer()
    if mc is not None and downloads:
        started = time.perf_counter()
        transfer.bytes_read = storage.download_all(mc, [(obj, dest) for _, obj, dest in downloads])
        log.info(
            "staged %d input object(s), %d bytes, in %.1f s",
            len(downloads),
            transfer.bytes_read,
            time.perf_counter() - started,
        )
        release_free_memory()  # the staging threads' buffers: the tool's own peak starts from here
    inputs = bind_files(spec, {name: str(dest) for name, _, dest in downloads})
    result = execute(compute, spec, config, inputs, work / "output", work / "work")
    release_free_memory()  # what the tool freed: the uploads' buffers do not stack on it
    plan = plan_uploads(task.outputs, globs, work / "output")
    transfer.bytes_written = _upload(mc, plan, task.overwrite)
    outputs = {name: posted for name, (posted, _) in plan.items()}
    summary = dict(result.summary)
    summary["output_files"] = {name: [str(obj) for _, obj in items] for name, (_, items) in plan.items()}
    summary["bytes_read"], summary["bytes_written"] = transfer.bytes_read, transfer.bytes_written
    if result.annotations:
        summary["annotations"] = result.annotations.as_dict()
    return outputs, summary


def _destination_problem(output_json: Path) -> str | None:
    """Why the output JSON could not be written (checked before any work, so nothing is uploaded)."""
    folder = output_json.parent
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    if output_json.is_dir():
        return "is a folder, expected a file path"
    if not os.access(folder, os.W_OK):
        return f"folder {folder} is not writable"
    return None


def _failure(exc: BaseException) -> tuple[str, int]:
    """(message, status) for what stopped the run."""
    if isinstance(exc, UserError):
        return str(exc), 400
    if isinstance(exc, storage.MissingObject):
        return f"input object {exc.path} does not exist ({exc.code})", 424
    if isinstance(exc, OutputExists):
        return str(exc), 409
    if isinstance(exc, storage.Unreachable):
        return str(exc), 504
    if isinstance(exc, Cancelled):
        return f"tool {exc}; its uploaded objects and temporary data were removed", 500
    log.error("tool failed", exc_info=exc)
    return f"tool failed: {type(exc).__name__}: {exc}", 500


def run_klms(compute: Compute, manifest_path: Path, input_json: Path, output_json: Path) -> int:
    """The `/bin/run --klms IN OUT` entry: always writes OUT; exit 0 on success, 1 otherwise."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s", stream=sys.stderr)
    problem = _destination_problem(output_json)
    if problem:
        print(f"error: {output_json}: {problem}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    result: dict[str, Any] = output.document(500, "", {}, {})
    code = 1
    endpoint = ""
    try:
        with cancellable():
            doc = read_json_object(input_json, "KLMS task input")
            with contextlib.suppress(UserError):  # reported below, when the task is read for the run
                task = KlmsTask.parse(doc)
                redact.register(task.secret_values())
                endpoint = task.minio.endpoint if task.minio else ""
            with tempfile.TemporaryDirectory(prefix="polygear-klms-") as tmp:
                outputs, summary = run_task(compute, manifest_path, doc, Path(tmp))
        result.update(message="Tool executed successfully", outputs=outputs, status="success")
        result["metrics"].update(summary)
        code = 0
    except urllib3.exceptions.HTTPError as exc:
        message, status = _failure(storage.unreachable(endpoint, exc))
        result.update(message=message, status=status)
    except (Exception, Cancelled) as exc:
        message, status = _failure(exc)
        result.update(message=message, status=status)
        code = exc.exit_code if isinstance(exc, Cancelled) else 1
    result["metrics"].setdefault("bytes_read", 0)
    result["metrics"].setdefault("bytes_written", 0)
    result["metrics"]["wall_seconds"] = round(time.perf_counter() - started, 3)
    result["metrics"]["peak_rss_mb"] = peak_rss_mb()
    # Every string, then the JSON text itself: a secret may hide in a message or a metric, in any rendering.
    result = json.loads(redact.redact(json.dumps(redact.redact_tree(result))))
    refused = output.problems(result)
    if refused:  # a bug here, not the user's: the API would refuse the document
        raise ValueError(f"KLMS output JSON would be refused by the STELAR API: {'; '.join(refused)}")
    write_json_atomic(output_json, result)
    if code:
        print(f"error: {result['status']}: {result['message']}", file=sys.stderr)
    return code
