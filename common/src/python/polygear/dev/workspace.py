"""Where a gear's pieces live in this repository, read from the files themselves.

The manifest is the source of truth for name and version; BUILD's gear image target carries the
tags Pants builds. These helpers read both (BUILD with `ast`, never by executing it) so developer
commands can check and change them together. Paths that Pants decides (the pex's place in dist/ and
in an image's build context) come from `pex_output_path`, the same function the BUILD macro uses.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

DEFAULT_REPOSITORY = "{name}"
TARGET_FUNCTIONS = ("docker_image", "polygear_image")


def pex_output_path(tool: str) -> str:
    """`pex/<tool>.pex`: the one place a tool's pex lands in dist/ and in its image's build context.

    Keep in sync with `build-support/macros.py` (a BUILD prelude cannot import this module).
    """
    return f"pex/{tool}.pex"


SPECS_ENV = "POLYGEAR_SPECS"


def find_specs(marker: str, start: Path | None = None) -> Path | None:
    """The published schemas' folder (`../shared/specs`) holding `marker`, or None.

    `$POLYGEAR_SPECS` when set (./pants exports it for tests), else `shared/specs` beside the current
    folder or one of its ancestors. Never copied into the repository: read where they are published.
    """
    given = os.environ.get(SPECS_ENV)
    here = (start or Path.cwd()).resolve()
    candidates = [Path(given)] if given else [folder / "shared" / "specs" for folder in (here, *here.parents)]
    return next((folder for folder in candidates if (folder / marker).exists()), None)


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pants.toml").is_file():
            return candidate
    raise UserError(str(here), "not inside the repository (no pants.toml above this folder)")


@dataclass(frozen=True)
class DockerImageTarget:
    build_file: Path
    name: str
    image_tags: tuple[str, ...]
    repository: str | None
    tags_node: tuple[int, int, int, int]  # (lineno, col, end_lineno, end_col) of the image_tags list


def read_docker_image(build_file: Path) -> DockerImageTarget:
    try:
        tree = ast.parse(build_file.read_text(encoding="utf-8"), filename=str(build_file))
    except (OSError, SyntaxError) as exc:
        raise UserError(str(build_file), f"cannot read BUILD file: {exc}") from None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TARGET_FUNCTIONS:
            found.append(node)
    if len(found) != 1:
        raise UserError(
            str(build_file), f"expected exactly one polygear_image (or docker_image) target, found {len(found)}"
        )
    call = found[0]
    kwargs: dict[str, ast.expr] = {k.arg: k.value for k in call.keywords if k.arg}
    name = _literal(kwargs.get("name"), build_file, "name") or build_file.parent.name
    tags_expr = kwargs.get("image_tags")
    if tags_expr is None or not isinstance(tags_expr, (ast.List, ast.Tuple)):
        raise UserError(f"{build_file}:image_tags", "expected a literal list of tags, found none")
    tags = tuple(str(_literal(e, build_file, "image_tags")) for e in tags_expr.elts)
    repository = _literal(kwargs.get("repository"), build_file, "repository")
    span = (
        tags_expr.lineno,
        tags_expr.col_offset,
        tags_expr.end_lineno or tags_expr.lineno,
        tags_expr.end_col_offset or 0,
    )
    return DockerImageTarget(build_file, str(name), tags, repository, span)


def _literal(expr: ast.expr | None, build_file: Path, field: str) -> Any:
    if expr is None:
        return None
    try:
        return ast.literal_eval(expr)
    except ValueError:
        raise UserError(f"{build_file}:{field}", "expected a literal value") from None


def default_repository(root: Path) -> str:
    """`[docker] default_repository` from pants.toml (read textually: Python 3.11 has tomllib)."""
    import tomllib

    try:
        data = tomllib.loads((root / "pants.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(str(root / "pants.toml"), f"cannot read: {exc}") from None
    return str(data.get("docker", {}).get("default_repository", DEFAULT_REPOSITORY))


@dataclass(frozen=True)
class Gear:
    root: Path
    name: str
    dir: Path

    @property
    def docker_dir(self) -> Path:
        return self.dir / "src" / "docker"

    @property
    def manifest_path(self) -> Path:
        return self.docker_dir / "manifest.json"

    @property
    def build_file(self) -> Path:
        return self.docker_dir / "BUILD"

    def manifest(self) -> ToolSpec:
        return ToolSpec.load(self.manifest_path)

    def image(self) -> DockerImageTarget:
        return read_docker_image(self.build_file)

    def app_dir(self) -> Path:
        apps = sorted(p.parent for p in (self.dir / "src" / "python").glob("*/run.py"))
        if len(apps) != 1:
            raise UserError(str(self.dir / "src" / "python"), f"expected one <app>/run.py, found {len(apps)}")
        return apps[0]

    def pex_target(self) -> str:
        return f"{self.app_dir().relative_to(self.root).as_posix()}:bin"

    @property
    def pex_context_path(self) -> str:
        """Where the pex sits in dist/ and in the image's build context (fixed by the gear macro)."""
        return pex_output_path(self.name)

    def pex_path(self) -> Path:
        return self.root / "dist" / self.pex_context_path

    @property
    def base_dockerfile(self) -> Path | None:
        """The tool base every image builds FROM (its ONBUILD steps copy the manifest and pex)."""
        path = self.root / "common" / "src" / "docker" / "Dockerfile"
        return path if path.is_file() else None

    @property
    def lint_config(self) -> Path:
        return self.docker_dir / "lint.toml"

    def image_refs(self) -> list[str]:
        target = self.image()
        spec_path = self.docker_dir.relative_to(self.root)
        repo_template = target.repository or default_repository(self.root)
        repo = repo_template.format(
            name=target.name, directory=spec_path.name, parent_directory=spec_path.parent.name
        ).lower()
        return [f"{repo}:{tag}" for tag in target.image_tags]


def find_gear(name_or_path: str, root: Path | None = None) -> Gear:
    root = root or find_root()
    candidate = Path(name_or_path)
    gear_dir = candidate if (root / candidate / "src" / "docker").is_dir() else root / "gears" / name_or_path
    gear_dir = (root / gear_dir).resolve() if not gear_dir.is_absolute() else gear_dir
    if not (gear_dir / "src" / "docker" / "manifest.json").is_file():
        known = ", ".join(sorted(p.parent.parent.parent.name for p in root.glob("gears/*/src/docker/manifest.json")))
        raise UserError(
            name_or_path,
            f"no such gear (expected gears/<name>/src/docker/manifest.json; gears here: {known or 'none'})",
        )
    return Gear(root, gear_dir.name, gear_dir)


def replace_tags_in_build(target: DockerImageTarget, old: str, new: str) -> str:
    """BUILD text with `old` replaced by `new` only inside the image_tags list."""
    lines = target.build_file.read_text(encoding="utf-8").splitlines(keepends=True)
    start, col, end, end_col = target.tags_node
    before = "".join(lines[: start - 1]) + lines[start - 1][:col]
    if start == end:
        middle = lines[start - 1][col:end_col]
    else:
        middle = lines[start - 1][col:] + "".join(lines[start : end - 1]) + lines[end - 1][:end_col]
    after = lines[end - 1][end_col:] + "".join(lines[end:])
    middle = re.sub(rf"(['\"]){re.escape(old)}\1", lambda m: f"{m.group(1)}{new}{m.group(1)}", middle)
    return before + middle + after
