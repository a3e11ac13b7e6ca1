"""The execution folder: what CCP's execution storage would hold after one run of a Method.

    jobStatus.json   OGC API Processes 1.0 statusInfo, rewritten at every lifecycle step
    request.json     the effective execute request (every input, defaults filled)
    method.json      the Method as read
    outputs/<n>/     what replica n left under /ccp_data/output (1-based)
    stdout.txt       every phase's output, each line prefixed `[phase n] `
    stderr.txt       likewise for standard error
    output.zip       outputs/ and both logs, as the platform hands them back

jobStatus.json follows statusInfo (`jobID`, `processID`, `status` accepted -> running ->
successful | failed | dismissed, `message`, `created`/`started`/`finished`/`updated`) and adds one
key of its own, `ccp` (allowed: statusInfo does not forbid extra properties):

    "ccp": {"note": <ccpnote>, "replicas": N, "runtime": "local" | "container",
            "phases": {"launch": {"started": T, "finished": T, "outcome": "successful"}, ...},
            "failure": {"phase": "execute", "replica": 2, "exitCode": 3}}   (only when failed)

A phase that did not run (after a failure, or Fetch and Undeploy after a cancel) is absent from
`phases`; Destroy is always there. Every file is written under a temporary name and renamed, so a
reader never sees half of one; the folder itself must not exist beforehand (no run overwrites another).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from polygear.core.errors import UserError
from polygear.core.jsonfile import atomic_file, write_json_atomic, write_text_atomic

ACCEPTED, RUNNING, SUCCESSFUL, FAILED, DISMISSED = "accepted", "running", "successful", "failed", "dismissed"
STATUS_FILE, REQUEST_FILE, METHOD_FILE = "jobStatus.json", "request.json", "method.json"
OUTPUTS, ZIP_FILE = "outputs", "output.zip"
LOG_FILES = {"stdout": "stdout.txt", "stderr": "stderr.txt"}


def now() -> str:
    """An RFC 3339 UTC timestamp with milliseconds (statusInfo's `date-time`)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class JobStatus:
    """The statusInfo document of one execution, and its per-phase record (see module doc)."""

    job_id: str
    process_id: str
    note: str
    replicas: int
    runtime: str
    status: str = ACCEPTED
    message: str = "accepted"
    created: str = field(default_factory=now)
    started: str | None = None
    finished: str | None = None
    phases: dict[str, dict[str, str]] = field(default_factory=dict)
    failure: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"type": "process", "jobID": self.job_id, "processID": self.process_id}
        doc |= {"status": self.status, "message": self.message, "created": self.created}
        doc |= {key: value for key, value in (("started", self.started), ("finished", self.finished)) if value}
        doc["updated"] = now()
        if self.finished:
            doc["links"] = [
                {"href": ZIP_FILE, "rel": "results", "type": "application/zip", "title": "outputs and logs"}
            ]
        extra: dict[str, Any] = {"note": self.note, "replicas": self.replicas, "runtime": self.runtime}
        extra["phases"] = self.phases
        if self.failure:
            extra["failure"] = self.failure
        doc["ccp"] = extra
        return doc


def default_folder(method_id: str) -> Path:
    """dist/ccp-runs/<method id>-<UTC time to the millisecond>."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3] + "Z"
    return Path("dist") / "ccp-runs" / f"{method_id}-{stamp}"


class ExecutionFolder:
    """Writes one execution's folder (see module doc); every file atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def require_absent(self) -> None:
        if self.path.exists() or self.path.is_symlink():
            raise UserError(str(self.path), "the execution folder already exists (every run gets a new one)")

    def create(self) -> None:
        self.require_absent()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.mkdir()
        (self.path / OUTPUTS).mkdir()

    def write_json(self, name: str, value: Any) -> None:
        write_json_atomic(self.path / name, value)

    def write_status(self, status: JobStatus) -> None:
        self.write_json(STATUS_FILE, status.document())

    def store_outputs(self, replica: int, source: Path) -> None:
        """Copy what the replica left in its output folder (nothing: an empty folder) into outputs/<n>."""
        tmp = Path(tempfile.mkdtemp(prefix=f".{replica}.", dir=self.path / OUTPUTS))
        if source.is_dir():
            shutil.copytree(source, tmp, symlinks=True, dirs_exist_ok=True)
        os.replace(tmp, self.path / OUTPUTS / str(replica))

    def write_logs(self, sections: list[tuple[str, Path]], stream: str) -> None:
        """One log file of every phase's output in lifecycle order, each line prefixed by its label."""
        lines: list[str] = []
        for label, source in sections:
            if source.is_file():
                text = source.read_bytes().decode("utf-8", errors="replace")
                lines += [f"[{label}] {line}\n" for line in text.splitlines()]
        write_text_atomic(self.path / LOG_FILES[stream], "".join(lines))

    def write_zip(self) -> None:
        """output.zip: outputs/<n>/... and the two logs, written beside and renamed into place."""
        with atomic_file(self.path / ZIP_FILE) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((self.path / OUTPUTS).rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.write(path, path.relative_to(self.path).as_posix())
            for name in LOG_FILES.values():
                archive.write(self.path / name, name)
