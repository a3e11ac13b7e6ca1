"""Gear descriptor lint: a gear's manifest, its docker_image target and its Dockerfile must agree.

Run by the in-repo Pants plugin on every `docker_image` target during `pants lint` (the plugin
computes the image references exactly as `pants package` will), and usable directly:

    python -m polygear.lint --manifest M --dockerfile D --target-name N --image-ref R... --pex P...

Every problem is one line `path:field: expected X, found Y`; the exit code is 1 when there are any.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polygear import dockerfile
from polygear.config import check_value
from polygear.errors import UserError
from polygear.manifest import Manifest, json_pointer_field

GEAR_COMMAND = "/bin/run"
MANIFEST_DEST = "/flywheel/v0/manifest.json"


@dataclass(frozen=True)
class Finding:
    path: str
    field: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.path}:{self.field}: expected {self.expected}, found {self.found}"


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or value else '""'
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _schema_findings(manifest: Manifest) -> list[Finding]:
    out = []
    for e in manifest.schema_violations():
        field = json_pointer_field(e.absolute_path)
        if e.validator == "required":
            instance = e.instance if isinstance(e.instance, dict) else {}
            missing = [p for p in e.validator_value if p not in instance]  # type: ignore[union-attr]
            for p in missing:
                name = p if field == "(top level)" else f"{field}.{p}"
                out.append(
                    Finding(str(manifest.path), name, "a value (required by the Flywheel manifest schema)", "none")
                )
            continue
        expected = f"{e.validator} {_show(e.validator_value)} (Flywheel manifest schema)"
        out.append(Finding(str(manifest.path), field, expected, _show(e.instance)))
    return out


def _version_tags(image_refs: Sequence[str]) -> list[str]:
    return [
        ref.rsplit(":", 1)[1] for ref in image_refs if ":" in ref.rsplit("/", 1)[-1] and not ref.endswith(":latest")
    ]


def lint_gear(
    manifest_path: Path,
    dockerfile_path: Path | None,
    target_name: str,
    image_refs: Sequence[str],
    pex_paths: Sequence[str],
    manifest_context_path: str | None = None,
    build_file: str = "BUILD",
) -> list[Finding]:
    """All findings for one gear. `image_refs` are full references (`org/name:tag`) from BUILD."""
    mpath = str(manifest_path)
    try:
        manifest = Manifest.load(manifest_path)
    except UserError as exc:
        return [Finding(exc.where, "(file)", "a readable JSON object", exc.message)]
    findings = _schema_findings(manifest)
    data = manifest.data

    if manifest.name != target_name:
        findings.append(
            Finding(
                mpath,
                "name",
                f"{_show(target_name)} (the docker_image target name in {build_file})",
                _show(data.get("name")),
            )
        )

    version_tags = _version_tags(image_refs)
    if not version_tags:
        findings.append(
            Finding(
                build_file,
                "image_tags",
                f"a version tag {_show(manifest.version)} besides latest",
                _show([r.rsplit(":", 1)[-1] for r in image_refs]),
            )
        )
    for tag in version_tags:
        if tag != manifest.version:
            findings.append(
                Finding(
                    mpath,
                    "version",
                    f"{_show(tag)} (the image version tag in {build_file})",
                    _show(data.get("version")),
                )
            )
    if not any(ref.endswith(":latest") for ref in image_refs):
        findings.append(
            Finding(
                build_file, "image_tags", '"latest" among the tags', _show([r.rsplit(":", 1)[-1] for r in image_refs])
            )
        )
    versioned = [r for r in image_refs if not r.endswith(":latest")]
    if versioned and manifest.image not in versioned:
        expected = versioned[0] if len(versioned) == 1 else " or ".join(_show(v) for v in versioned)
        findings.append(
            Finding(
                mpath,
                "custom.gear-builder.image",
                _show(expected) if len(versioned) == 1 else expected,
                _show(manifest.image or None),
            )
        )

    if data.get("command") != GEAR_COMMAND:
        findings.append(Finding(mpath, "command", _show(GEAR_COMMAND), _show(data.get("command"))))

    for key, spec in manifest.config_spec.items():
        if isinstance(spec, dict) and "default" in spec:
            try:
                check_value(f"config.{key}.default", spec, spec["default"])
            except UserError as exc:
                expected, _, found = exc.message.removeprefix("expected ").partition(", found ")
                findings.append(
                    Finding(mpath, f"config.{key}.default", expected or exc.message, found or _show(spec["default"]))
                )

    if dockerfile_path is not None:
        try:
            text = Path(dockerfile_path).read_text(encoding="utf-8")
        except OSError as exc:
            findings.append(Finding(str(dockerfile_path), "(file)", "a readable Dockerfile", str(exc)))
        else:
            msource = manifest_context_path or mpath
            if not dockerfile.copies_to(text, msource, MANIFEST_DEST):
                findings.append(
                    Finding(str(dockerfile_path), "COPY", f"COPY {msource} {MANIFEST_DEST}", "no such instruction")
                )
            if not pex_paths:
                findings.append(
                    Finding(
                        build_file, "dependencies", "this gear's pex_binary among the docker_image dependencies", "none"
                    )
                )
            elif not any(dockerfile.copies_to(text, p, GEAR_COMMAND) for p in pex_paths):
                findings.append(
                    Finding(str(dockerfile_path), "COPY", f"COPY {pex_paths[0]} {GEAR_COMMAND}", "no such instruction")
                )
    return findings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gear-lint", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--spec", type=Path, help="JSON list of gears to lint (written by the Pants plugin)")
    p.add_argument("--manifest", type=Path)
    p.add_argument("--dockerfile", type=Path)
    p.add_argument("--target-name")
    p.add_argument("--image-ref", action="append", default=[])
    p.add_argument("--pex", action="append", default=[])
    p.add_argument("--build-file", default="BUILD")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    jobs: list[dict[str, Any]] = []
    if args.spec:
        jobs = json.loads(args.spec.read_text(encoding="utf-8"))
    elif args.manifest and args.target_name:
        jobs = [
            {
                "manifest": str(args.manifest),
                "dockerfile": str(args.dockerfile) if args.dockerfile else None,
                "target_name": args.target_name,
                "image_refs": args.image_ref,
                "pex_paths": args.pex,
                "build_file": args.build_file,
            }
        ]
    else:
        _parser().error("give --spec, or --manifest and --target-name")
    total = 0
    for job in jobs:
        findings = lint_gear(
            Path(job["manifest"]),
            Path(job["dockerfile"]) if job.get("dockerfile") else None,
            job["target_name"],
            job.get("image_refs", []),
            job.get("pex_paths", []),
            manifest_context_path=job.get("manifest_context_path"),
            build_file=job.get("build_file", "BUILD"),
        )
        for f in findings:
            print(f)
        total += len(findings)
    if total:
        print(f"{total} problem(s) in {len(jobs)} gear(s)", file=sys.stderr)
        return 1
    print(f"{len(jobs)} gear(s) OK", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
