"""ToolSpec: what a tool is, read from its manifest.json, in words no platform owns.

manifest.json stays the single source of truth for a tool's name, version, image, parameters, file
inputs and outputs. It is written in Flywheel's manifest format because that format already says
most of what every platform needs; everything polygear adds (output groups, resources) lives under
`custom.polygear`. Adapters for Flywheel, KLMS and the platforms to come read the tool through this
class only, so none of them parses the manifest its own way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polygear.core.errors import UserError
from polygear.core.jsonfile import read_json_object

PARAMETER_TYPES = ("string", "integer", "number", "boolean", "array")
# Where a tool's pex carries its own manifest (and a notebook tool its notebook), so that the pex run
# outside any image (`cwltool --no-container`, a pipeline step) still knows which tool it is. The
# polygear_app macro relocates the files here (build-support/pants/macros.py).
BUNDLE_DIR = "polygear_tool"
SECRET_INPUT_BASES = ("api-key",)


def bundled_file(name: str) -> Path | None:
    """`polygear_tool/<name>` from the running pex (any sys.path entry), or None outside a tool's pex."""
    for entry in sys.path:
        candidate = Path(entry or ".") / BUNDLE_DIR / name
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class OutputGroup:
    """A named group of output files, matched by a glob in the output folder (e.g. `*_profile.json`)."""

    name: str
    glob: str
    description: str = ""


@dataclass(frozen=True)
class Resources:
    """What one run needs; platforms that schedule containers (CWL, CCP) read it."""

    cores_min: int = 1
    cores_max: int = 1
    ram_min_mb: int = 256
    ram_max_mb: int = 1024


@dataclass(frozen=True)
class ToolSpec:
    """A tool as every adapter sees it. `data` keeps the whole manifest for platform renderers."""

    path: Path
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def load(cls, path: Path) -> ToolSpec:
        path = Path(path)
        return cls(path, read_json_object(path, "tool manifest"))

    def _str(self, key: str) -> str:
        value = self.data.get(key)
        return value if isinstance(value, str) else ""

    @property
    def name(self) -> str:
        return self._str("name")

    @property
    def version(self) -> str:
        return self._str("version")

    @property
    def label(self) -> str:
        return self._str("label")

    @property
    def description(self) -> str:
        return self._str("description")

    @property
    def author(self) -> str:
        return self._str("author")

    @property
    def license(self) -> str:
        return self._str("license")

    @property
    def image(self) -> str:
        """The image reference (`org/name:version`), kept where Flywheel's gear builder expects it."""
        custom = self.data.get("custom")
        builder = custom.get("gear-builder") if isinstance(custom, dict) else None
        image = builder.get("image") if isinstance(builder, dict) else None
        return image if isinstance(image, str) else ""

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """name -> directive (type, default, enum, minimum, pattern, optional, description)."""
        config = self.data.get("config", {})
        if not isinstance(config, dict):
            return {}
        return {k: v for k, v in config.items() if isinstance(v, dict)}

    @property
    def _inputs(self) -> dict[str, dict[str, Any]]:
        inputs = self.data.get("inputs", {})
        if not isinstance(inputs, dict):
            return {}
        return {k: v for k, v in inputs.items() if isinstance(v, dict)}

    @property
    def input_names(self) -> list[str]:
        """Every declared input, files and secrets alike (for "unknown input" messages)."""
        return sorted(self._inputs)

    @property
    def file_inputs(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self._inputs.items() if v.get("base") == "file"}

    @property
    def secret_inputs(self) -> list[str]:
        """Inputs whose values are credentials (Flywheel's api-key): never logged, never written."""
        return [k for k, v in self._inputs.items() if v.get("base") in SECRET_INPUT_BASES]

    @property
    def _polygear(self) -> dict[str, Any]:
        custom = self.data.get("custom")
        ours = custom.get("polygear") if isinstance(custom, dict) else None
        return ours if isinstance(ours, dict) else {}

    @property
    def outputs(self) -> dict[str, OutputGroup]:
        """Output groups from `custom.polygear.outputs` ({name: {"glob", "description"}} or {name: glob})."""
        raw = self._polygear.get("outputs")
        groups: dict[str, OutputGroup] = {}
        if not isinstance(raw, dict):
            return groups
        for name, spec in raw.items():
            if isinstance(spec, dict):
                groups[name] = OutputGroup(name, str(spec.get("glob", "*")), str(spec.get("description", "")))
            else:
                groups[name] = OutputGroup(name, str(spec))
        return groups

    @property
    def resources(self) -> Resources:
        """`custom.polygear.resources` ({cores_min, cores_max, ram_min_mb, ram_max_mb}), with defaults."""
        raw = self._polygear.get("resources")
        if not isinstance(raw, dict):
            return Resources()
        defaults = Resources()
        values: dict[str, int] = {}
        for key in ("cores_min", "cores_max", "ram_min_mb", "ram_max_mb"):
            value = raw.get(key, getattr(defaults, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UserError(
                    f"{self.path}:custom.polygear.resources.{key}", f"expected a positive integer, found {value!r}"
                )
            values[key] = value
        return Resources(**values)
