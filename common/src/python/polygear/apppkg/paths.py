"""Where a tool's application package is committed: beside its manifest, in `gears/<tool>/src/apppkg/`.

gears/<tool>/src/docker/manifest.json          the source of truth
gears/<tool>/src/apppkg/<tool>.cwl             the CWL package (Workflow + CommandLineTool)
gears/<tool>/src/apppkg/<tool>.ogcapppkg.json  the OGC API Processes Part 2 deploy document
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = "apppkg"
REGENERATE = "./pants run common/src/python/polygear/apppkg:generate -- gears/*/src/docker/manifest.json"


def package_dir(manifest: Path) -> Path:
    """`gears/<tool>/src/apppkg` for `gears/<tool>/src/docker/manifest.json`."""
    return Path(manifest).parent.parent / PACKAGE_DIR


def cwl_path(manifest: Path, name: str) -> Path:
    return package_dir(manifest) / f"{name}.cwl"


def ogcapppkg_path(manifest: Path, name: str) -> Path:
    return package_dir(manifest) / f"{name}.ogcapppkg.json"


def is_tool_manifest(manifest: Path) -> bool:
    """True for `.../gears/<tool>/src/docker/manifest.json`, the one place a tool's manifest lives."""
    parts = Path(manifest).parts
    return len(parts) >= 5 and parts[-5] == "gears" and parts[-3:] == ("src", "docker", "manifest.json")
