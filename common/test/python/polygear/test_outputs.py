"""Publishing staged outputs: all or nothing, whatever the mount layout."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from polygear.core import outputs
from polygear.core.outputs import StagedOutputs


def test_publishing_across_devices_copies_then_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bind-mounted output/ on the parent's filesystem: st_dev agrees, rename still says EXDEV."""
    final = tmp_path / "output"
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if ".polygear-staging-" in str(src):  # staging -> output/: the cross-device rename
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        real_replace(src, dst)

    monkeypatch.setattr(outputs.os, "replace", replace)
    with StagedOutputs(final) as staged:
        (staged.staging / "a.txt").write_text("a")
        (staged.staging / "sub").mkdir()
        (staged.staging / "sub" / "b.txt").write_text("b")
        published = staged.publish()
    assert sorted(p.name for p in published) == ["a.txt", "sub"]
    assert (final / "a.txt").read_text() == "a" and (final / "sub" / "b.txt").read_text() == "b"
    assert sorted(p.name for p in final.iterdir()) == ["a.txt", "sub"]  # no partial names left
    assert not list(tmp_path.glob(".polygear-staging-*"))


def test_a_failed_copy_leaves_neither_partial_nor_published_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = tmp_path / "output"
    real_replace = os.replace
    copies: list[str] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if ".polygear-staging-" in str(src):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        real_replace(src, dst)

    def copy2(src: str | os.PathLike[str], dst: str | os.PathLike[str], **_: object) -> None:
        copies.append(str(src))
        if len(copies) == 2:
            Path(dst).write_text("half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        Path(dst).write_bytes(Path(src).read_bytes())

    monkeypatch.setattr(outputs.os, "replace", replace)
    monkeypatch.setattr(outputs.shutil, "copy2", copy2)
    with pytest.raises(OSError, match="No space left"), StagedOutputs(final) as staged:
        (staged.staging / "a.txt").write_text("a")
        (staged.staging / "b.txt").write_text("b")
        staged.publish()
    assert list(final.iterdir()) == []
