"""Just enough Dockerfile parsing to check what an image copies, without a Docker engine.

A tool image copies its files either itself (COPY lines) or through its base image's ONBUILD
triggers, which run in the tool's build with the tool's build args (TOOL=<name>); both count.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Copy:
    line: int
    sources: tuple[str, ...]
    dest: str


def instructions(text: str) -> list[tuple[int, str, str]]:
    """(first line number, INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[int, str, str]] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = n
        if stripped.endswith("\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        joined = " ".join(buf).strip()
        buf = []
        word, _, rest = joined.partition(" ")
        out.append((start, word.upper(), rest.strip()))
    return out


_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def substitute(text: str, args: Mapping[str, str]) -> str:
    """`${NAME}`/`$NAME` replaced by build arg values (unknown names are left as written)."""
    return _VAR.sub(lambda m: args.get(m.group(1) or m.group(2), m.group(0)), text)


def onbuild_copies(base_text: str, args: Mapping[str, str]) -> list[Copy]:
    """The COPY/ADD triggers a base image's ONBUILD lines run in a child built with `args`."""
    triggers = [
        f"{rest.partition(' ')[0]} {substitute(rest.partition(' ')[2], args)}"
        for _, word, rest in instructions(base_text)
        if word == "ONBUILD"
    ]
    return copies("\n".join(triggers))


def copies(text: str) -> list[Copy]:
    """Every COPY/ADD without --from (copies from other stages are not from the build context)."""
    result = []
    for line, word, rest in instructions(text):
        if word not in ("COPY", "ADD"):
            continue
        if rest.startswith("["):
            try:
                parts = [str(p) for p in json.loads(rest)]
            except json.JSONDecodeError:
                continue
        else:
            parts = shlex.split(rest)
        flags = [p for p in parts if p.startswith("--")]
        if any(f.startswith("--from") for f in flags):
            continue
        args = [p for p in parts if not p.startswith("--")]
        if len(args) >= 2:
            result.append(Copy(line, tuple(args[:-1]), args[-1]))
    return result


def copies_to(
    text: str, source: str, dest: str, base_text: str | None = None, build_args: Mapping[str, str] | None = None
) -> bool:
    """Does some COPY (or a base image's ONBUILD COPY) put `source` at `dest` (a file, or into a dir)?"""
    dest_dir, dest_name = str(Path(dest).parent), Path(dest).name
    found = copies(text) + (onbuild_copies(base_text, build_args or {}) if base_text else [])
    for c in found:
        if source not in c.sources:
            continue
        if c.dest == dest:
            return True
        if (
            c.dest.rstrip("/") == dest_dir
            and (c.dest.endswith("/") or len(c.sources) > 1)
            and Path(source).name == dest_name
        ):
            return True
    return False
