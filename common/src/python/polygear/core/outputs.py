"""All-or-nothing outputs.

A gear that fails half-way must not leave half its files behind: Flywheel would upload them as if
they were results. Gears therefore write into a private staging folder beside the real output folder
(same filesystem, so publishing is a rename per entry) and the engine publishes only on success.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType


class StagedOutputs:
    """Context manager: `staging` collects outputs; `publish()` moves them into `final_dir`."""

    def __init__(self, final_dir: Path) -> None:
        self.final_dir = Path(final_dir)
        self.final_dir.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".polygear-staging-", dir=_staging_parent(self.final_dir)))
        self._published: list[Path] = []

    def publish(self) -> list[Path]:
        """Move every staged entry into the final folder; on a clash or error undo what was moved."""
        try:
            for entry in sorted(self.staging.iterdir()):
                target = self.final_dir / entry.name
                if target.exists():
                    raise FileExistsError(f"{target}: output already exists; refusing to overwrite it")
                _move(entry, target)
                self._published.append(target)
        except BaseException:
            for path in self._published:
                _remove(path)
            self._published.clear()
            raise
        return list(self._published)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()


def _move(entry: Path, target: Path) -> None:
    """Rename; across devices (a bind-mounted output/ that `st_dev` does not reveal), copy to a
    hidden name inside the destination, flush it, and rename that, so `target` is never partial."""
    try:
        os.replace(entry, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    # A short fixed-length name: `target` may already be 255 bytes long.
    partial = target.with_name(f".polygear-partial-{uuid.uuid4().hex[:12]}")
    try:
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, partial, symlinks=True)
        else:
            shutil.copy2(entry, partial, follow_symlinks=False)
            if not partial.is_symlink():
                with open(partial, "rb") as fh:
                    os.fsync(fh.fileno())
        os.replace(partial, target)
    except BaseException:
        _remove(partial)
        raise
    _remove(entry)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _staging_parent(final_dir: Path) -> Path:
    """Beside the output folder when that is the same filesystem (nothing stray inside it even if
    the process is killed), else inside it: containers often mount output/ on its own device."""
    parent = final_dir.resolve().parent
    try:
        if parent.stat().st_dev == final_dir.stat().st_dev and os.access(parent, os.W_OK):
            return parent
    except OSError:
        pass
    return final_dir
