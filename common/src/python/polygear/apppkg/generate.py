"""Write (or check) each tool's committed application package, generated from its manifest.

    python -m polygear.apppkg.generate gears/*/src/docker/manifest.json
    python -m polygear.apppkg.generate --check gears/*/src/docker/manifest.json

Per tool, `gears/<tool>/src/apppkg/<tool>.cwl` (the CWL `$graph`) and `<tool>.ogcapppkg.json` (the
OGC deploy document carrying the same CWL inline). `--check` (lint rule AP001 does the same per
tool) writes nothing and exits 1 naming each stale or missing file and the command that fixes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from polygear.apppkg import cwl, ogcapppkg
from polygear.apppkg.paths import REGENERATE, cwl_path, ogcapppkg_path
from polygear.core.errors import UserError
from polygear.core.generated import sync
from polygear.core.spec import ToolSpec

EXIT_OK, EXIT_PROBLEM = 0, 1


def package_files(manifest: Path, spec: ToolSpec | None = None) -> dict[Path, str]:
    """The two files of one tool's package: path -> text (raises UserError for a manifest it cannot carry)."""
    spec = spec or ToolSpec.load(manifest)
    document = cwl.package_for(spec)
    return {
        cwl_path(manifest, spec.name): cwl.render(document, str(manifest)),
        ogcapppkg_path(manifest, spec.name): ogcapppkg.render(ogcapppkg.deploy_document(spec, document)),
    }


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="apppkg-generate", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("manifests", nargs="+", type=Path, metavar="MANIFEST", help="a tool's manifest.json")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when a package is stale or missing")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    files: dict[Path, tuple[str, Path]] = {}
    names: dict[str, Path] = {}
    try:
        for manifest in args.manifests:
            spec = ToolSpec.load(manifest)
            if spec.name in names:
                raise UserError(f"{manifest}:name", f"expected a tool name no other manifest uses ({names[spec.name]})")
            names[spec.name] = manifest
            for path, text in package_files(manifest, spec).items():
                files[path] = (text, manifest)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    written, stale = sync(files, check=args.check)
    for path in written:
        print(f"wrote {path}")
    if stale:
        print("\n".join(stale), file=sys.stderr)
        print(
            f"{len(stale)} application package file(s) out of date; regenerate with:\n  {REGENERATE}", file=sys.stderr
        )
        return EXIT_PROBLEM
    seconds = time.perf_counter() - started
    print(f"{len(names)} application package(s) up to date ({seconds:.2f} s)", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
