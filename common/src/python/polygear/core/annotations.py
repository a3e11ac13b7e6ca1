"""What a run learned, said once, rendered by each platform its own way.

A tool describes its results (a profile summary on the input table, a validation status tag) with
this class; it never names a platform's container hierarchy. Flywheel renders it as `.metadata.json`
(info and tags on the input file's parent container, on output files, on the analysis); KLMS puts
it into the output JSON's metrics; other platforms pick what they can carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileNote:
    """Info (a JSON object) and tags attached to one file."""

    info: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def add(self, info: dict[str, Any] | None, tags: list[str] | None) -> None:
        if info:
            self.info.update(info)
        if tags:
            self.tags = sorted(set(self.tags) | set(tags))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.info:
            out["info"] = self.info
        if self.tags:
            out["tags"] = self.tags
        return out


@dataclass
class Annotations:
    """Notes on input files (by input name), output files (by file name) and the run itself."""

    inputs: dict[str, FileNote] = field(default_factory=dict)
    outputs: dict[str, FileNote] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)

    def input_file(self, input_name: str, info: dict[str, Any] | None = None, tags: list[str] | None = None) -> None:
        """Attach info/tags to the file given as input `input_name`."""
        self.inputs.setdefault(input_name, FileNote()).add(info, tags)

    def output_file(self, file_name: str, info: dict[str, Any] | None = None, tags: list[str] | None = None) -> None:
        """Attach info/tags to an output file (its name inside the output folder)."""
        self.outputs.setdefault(file_name, FileNote()).add(info, tags)

    def run_info(self, info: dict[str, Any]) -> None:
        """Attach info to the run as a whole (Flywheel: the analysis)."""
        self.run.update(info)

    def __bool__(self) -> bool:
        return bool(self.inputs or self.outputs or self.run)

    def as_dict(self) -> dict[str, Any]:
        """A platform-neutral JSON rendering (used where a platform has no richer place for it)."""
        out: dict[str, Any] = {}
        if self.inputs:
            out["inputs"] = {k: v.as_dict() for k, v in self.inputs.items()}
        if self.outputs:
            out["outputs"] = {k: v.as_dict() for k, v in self.outputs.items()}
        if self.run:
            out["run"] = self.run
        return out
