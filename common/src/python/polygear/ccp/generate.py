"""Write (or check) the committed CCP Methods, one `ccp_methods/<tool>.json` per tool manifest.

    python -m polygear.ccp.generate [--out ccp_methods] gears/*/src/docker/manifest.json
    python -m polygear.ccp.generate --check gears/*/src/docker/manifest.json

The Methods are committed so that they can be reviewed and registered on CCP as they are; they are
generated so that they never drift from the tools. `--check` (CI, and lint rule CCP001 per tool)
exits 1 naming each stale or missing file and the command that regenerates them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from polygear.ccp.method import METHODS_DIR, REGENERATE, method_for, render
from polygear.core.errors import UserError
from polygear.core.generated import sync
from polygear.core.spec import ToolSpec

EXIT_OK, EXIT_PROBLEM = 0, 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccp-generate", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("manifests", nargs="+", type=Path, metavar="MANIFEST", help="a tool's manifest.json")
    p.add_argument("--out", type=Path, default=Path(METHODS_DIR), help=f"folder of the Methods (default {METHODS_DIR})")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when a Method is stale or missing")
    return p


def generated(manifests: Sequence[Path]) -> dict[str, tuple[Path, str]]:
    """Tool name -> (manifest, Method text); two manifests naming one tool would write one file twice."""
    out: dict[str, tuple[Path, str]] = {}
    for manifest in manifests:
        spec = ToolSpec.load(manifest)
        text = render(method_for(spec))
        if spec.name in out:
            raise UserError(f"{manifest}:name", f"expected a tool name no other manifest uses, found {spec.name!r}")
        out[spec.name] = (manifest, text)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        methods = generated(args.manifests)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    files = {args.out / f"{name}.json": (text, manifest) for name, (manifest, text) in methods.items()}
    written, stale = sync(files, check=args.check)
    for path in written:
        print(f"wrote {path}")
    if stale:
        print("\n".join(stale), file=sys.stderr)
        print(f"{len(stale)} CCP Method(s) out of date; regenerate with:\n  {REGENERATE}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"{len(methods)} CCP Method(s) up to date in {args.out}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
