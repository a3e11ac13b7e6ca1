"""`./pants run tool_template:new -- <name> [--title "Title"]`: start a new tool in gears/<name>/.

The skeleton (files ending in .tmpl beside this module) is a complete, working tool: it passes
`./pants lint`, `test` and `package` as generated, so a new tool starts green and stays green.
Placeholders: {{name}} (gear name), {{app}} (Python package), {{title}}, {{description}}.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from polygear.apppkg.generate import main as apppkg_generate
from polygear.ccp.generate import main as ccp_generate
from polygear.ccp.method import METHODS_DIR

NAME_RE = re.compile(r"^[a-z0-9\-]+$")  # the Flywheel manifest schema's pattern for `name`
APP_DIR = "__app__"
# Stored as src/py and test/py: a folder named src/python inside the skeleton would be a Pants
# source root of its own.
SKELETON_DIRS = {"src/py/": "src/python/", "test/py/": "test/python/"}
# Likewise BUILD.tmpl would be read by Pants as a BUILD file (pattern BUILD.*).
BUILD_FILE = "BUILDFILE"


class TemplateError(Exception):
    pass


def check_name(name: str, gears_dir: Path) -> None:
    if not NAME_RE.match(name) or len(name) > 100:
        raise TemplateError(
            f"{name!r}: invalid tool name; expected lower-case letters, digits and '-' (Flywheel's ^[a-z0-9\\-]+$, at most 100 characters)"
        )
    if not re.match(r"^[a-z]", name) or name.endswith("-") or "--" in name:
        raise TemplateError(
            f"{name!r}: invalid tool name; start with a letter, no trailing or double '-' (it becomes the Python package {app_name(name)!r})"
        )
    if (gears_dir / name).exists():
        raise TemplateError(f"{gears_dir / name}: a tool with this name already exists; choose another name")


def app_name(name: str) -> str:
    return name.replace("-", "_") + "_app"


def skeleton_files() -> list[tuple[str, str]]:
    """(relative path without .tmpl, text) for every skeleton file shipped with this module."""
    root = resources.files("tool_template").joinpath("skeleton")
    out: list[tuple[str, str]] = []

    def walk(node: resources.abc.Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, rel + "/")
            elif child.name.endswith(".tmpl"):
                out.append((rel[: -len(".tmpl")], child.read_text(encoding="utf-8")))

    walk(root, "")
    if not out:
        raise TemplateError("the tool skeleton is missing from this build of tool_template")
    return out


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{[a-z_]+\}\}", text)
    if left:
        raise TemplateError(f"unknown placeholder(s) in the skeleton: {', '.join(sorted(set(left)))}")
    return text


def create(name: str, title: str, description: str, gears_dir: Path) -> Path:
    check_name(name, gears_dir)
    values = {"name": name, "app": app_name(name), "title": title, "description": description}
    tmp = gears_dir / f".{name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for rel, text in skeleton_files():
            for stored, real in SKELETON_DIRS.items():
                rel = rel.replace(stored, real)
            if Path(rel).name == BUILD_FILE:
                rel = str(Path(rel).with_name("BUILD"))
            target = tmp / rel.replace(APP_DIR, values["app"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(text, values), encoding="utf-8")
        os.replace(tmp, gears_dir / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return gears_dir / name


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="./pants run tool_template:new --",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", help="tool name: lower-case letters, digits and '-' (also the image and gear name)")
    p.add_argument("--title", help="human title (manifest label); default from the name")
    p.add_argument("--description", default=None, help="one-paragraph description for the manifest")
    p.add_argument("--gears-dir", type=Path, default=Path("gears"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    title = args.title or args.name.replace("-", " ").title()
    description = (
        args.description
        or f"{title}: summarises a text file (lines, words, characters, bytes, SHA-256). Replace with what your tool does."
    )
    try:
        if not args.gears_dir.is_dir():
            raise TemplateError(f"{args.gears_dir}: not found; run this from the repository root")
        path = create(args.name, title, description, args.gears_dir)
    except TemplateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    methods = args.gears_dir.parent / METHODS_DIR
    if methods.is_dir():  # this repository: the tool's CCP Method is committed beside the others
        ccp_generate(["--out", str(methods), str(path / "src" / "docker" / "manifest.json")])
    apppkg_generate([str(path / "src" / "docker" / "manifest.json")])  # gears/<name>/src/apppkg/
    print(
        f"created {path}/ — next:\n"
        f"  ./pants tailor update-build-files lint test package {path}::\n"
        f"  ./pants gear run {args.name} -i text={path}/test/data/example.txt",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
