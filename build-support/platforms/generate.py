#!/usr/bin/env python3
"""Regenerate the complete-platform files the tool pexes are built for (see BUILD here).

    python3 build-support/platforms/generate.py [--image IMAGE]

Pex needs a "complete platform" (the interpreter's marker environment and every wheel tag it
accepts) to resolve wheels for an interpreter it cannot run. The x86_64 file is what the image's own
CPython 3.11 reports (`pex3 interpreter inspect --markers --tags`, run inside IMAGE with the repo's
pex CLI); the aarch64 file is the same interpreter on aarch64: identical tags with the machine
renamed, minus the manylinux1/manylinux2010 aliases that exist only for x86 (PEP 600). Run it after
changing the images' Python (the base image is Debian bookworm / python:3.11-slim, glibc 2.36).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PEX_CLI = next(iter(sorted((ROOT / ".polygear" / "pex-cli").glob("pex-v*"))), ROOT / ".polygear/pex-cli/pex-v?")


def inspect(image: str) -> dict:
    engine = subprocess.run(
        ["bash", str(ROOT / "build-support" / "container" / "engine.sh")], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not engine:
        sys.exit("generate.py: needs docker or podman to run the image's interpreter")
    if not PEX_CLI.is_file():
        sys.exit(f"generate.py: {PEX_CLI} is missing; run ./pants --version once to build it")
    cmd = [engine, "run", "--rm", "--network=none", "-v", f"{PEX_CLI.parent}:/pexcli:ro", image, "sh", "-c",
           f"PEX_SCRIPT=pex3 python3 /pexcli/{PEX_CLI.name} interpreter inspect --markers --tags"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def normalise(info: dict, machine: str) -> dict:
    markers = dict(info["marker_environment"])
    # The kernel the inspection happened to run on says nothing about where the pex will run.
    markers.update(platform_machine=machine, platform_release="", platform_version="")
    tags = [t.replace("x86_64", machine) for t in info["compatible_tags"]]
    if machine != "x86_64":
        tags = [t for t in tags if "manylinux1_" not in t and "manylinux2010_" not in t]
    return {"marker_environment": markers, "compatible_tags": tags}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="python:3.11-slim", help="an image with the tools' interpreter")
    args = parser.parse_args()
    info = inspect(args.image)
    if info["marker_environment"]["platform_machine"] != "x86_64":
        sys.exit("generate.py: run it on an x86_64 machine (the aarch64 file is derived from x86_64 tags)")
    for machine in ("x86_64", "aarch64"):
        out = HERE / f"linux-{machine}-cp311.json"
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(normalise(info, machine), indent=1) + "\n", encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
