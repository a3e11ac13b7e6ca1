"""`./pants gear <command>`: the developer commands for gears in this repository.

run      run a gear locally the way Flywheel would (pex on this machine, or its image)
bump     change a gear's version everywhere it lives (manifest, image reference, BUILD tags)
upload   upload a gear to Flywheel with `fw-beta gear upload`, after lint and release checks
cwl-run  run a gear's CWL application package with cwltool (its pex, or its image with --image)
pipeline-run   run a pipeline of pipelines/ with cwltool or Toil
pipeline-compile  print a pipeline's compiled CWL Workflow (for Toil on Slurm, Kubernetes, AWS)
cwl-validate   check application packages with cwltool, eoap-validator, ap-validator and the OGC schemas
release-check  check a release tag `gears/<name>/v<version>` against the gear's manifest
lint-rules     list the descriptor lint's rules (id, severity, name, what it checks)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from polygear.apppkg.generate import main as apppkg_generate
from polygear.apppkg.paths import REGENERATE as APPPKG_REGENERATE
from polygear.apppkg.paths import cwl_path, ogcapppkg_path
from polygear.ccp.generate import main as ccp_generate
from polygear.ccp.method import METHODS_DIR
from polygear.core.containers import container_engine
from polygear.core.errors import UserError
from polygear.core.jsonfile import write_json_atomic, write_text_atomic
from polygear.core.lint import Finding, ToolFacts, lint_tool
from polygear.dev.apppkg_validate import package_problems
from polygear.dev.cwl_run import first_error, job_document, run_package
from polygear.dev.pipeline_run import pipeline_job, run_pipeline
from polygear.dev.tracking import JobClient, tracked_run
from polygear.dev.workspace import Gear, find_gear, find_root, find_specs, replace_tags_in_build
from polygear.flywheel.gear_dir import build_gear_dir
from polygear.lint import rules_table
from polygear.sd2e.compile import compile_pipeline
from polygear.sd2e.compile import render as render_cwl
from polygear.sd2e.definition import PIPELINE_SUFFIXES, Pipeline, resolve, tools_by_image

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$")
TAG_RE = re.compile(r"^(?:refs/tags/)?gears/(?P<name>[a-z0-9-]+)/v(?P<version>.+)$")


def cmd_run(args: argparse.Namespace) -> int:
    gear = find_gear(args.gear)
    manifest = gear.manifest()
    out = Path(args.out or gear.root / "dist" / "local-runs" / f"{gear.name}-{dt.datetime.now():%Y%m%d-%H%M%S}")
    if args.image:
        engine = container_engine()
        if engine is None:
            raise UserError("--image", "no container engine found (install Docker, or podman on Linux)")
        image = next(r for r in gear.image_refs() if not r.endswith(":latest"))
        build_gear_dir(gear.manifest_path, out, args.config, args.input, args.api_key, container_root="/flywheel/v0")
        out = out.resolve()
        cmd = [engine, "run", "--rm"]
        for sub, mode in (("config.json", "ro"), ("input", "ro"), ("output", "rw"), ("work", "rw")):
            if (out / sub).exists():
                cmd += ["-v", f"{out / sub}:/flywheel/v0/{sub}:{mode}"]
        cmd.append(image)
    else:
        pex = Path(args.pex) if args.pex else gear.pex_path()
        if not pex.is_file():
            raise UserError(str(pex), f"pex not built; run `./pants package {gear.pex_target()}` first (or pass --pex)")
        build_gear_dir(gear.manifest_path, out, args.config, args.input, args.api_key)
        out = out.resolve()
        launcher = [str(pex)] if os.access(pex, os.X_OK) else [sys.executable, str(pex)]
        cmd = [*launcher, "--gear-dir", str(out)]
    print(f"running {manifest.name} {manifest.version} in {out}", file=sys.stderr)
    code = subprocess.run(cmd, check=False).returncode
    outputs = sorted(p.relative_to(out / "output") for p in (out / "output").rglob("*") if p.is_file())
    print(f"exit code {code}; outputs in {out / 'output'}:", file=sys.stderr)
    for p in outputs:
        print(f"  {p}", file=sys.stderr)
    return code


def cmd_cwl_run(args: argparse.Namespace) -> int:
    gear = find_gear(args.gear)
    spec = gear.manifest()
    package = cwl_path(gear.manifest_path, spec.name)
    if not package.is_file():
        raise UserError(str(package), f"no application package; run `{APPPKG_REGENERATE}`")
    job = job_document(spec, args.config, args.input)
    out = Path(args.out or gear.root / "dist" / "cwl-runs" / f"{gear.name}-{dt.datetime.now():%Y%m%d-%H%M%S}")
    pex, engine = None, None
    if args.image:
        engine = container_engine()
        if engine is None:
            raise UserError("--image", "no container engine found (install Docker, or podman on Linux)")
    else:
        pex = Path(args.pex) if args.pex else gear.pex_path()
        if not pex.is_file():
            raise UserError(str(pex), f"pex not built; run `./pants package {gear.pex_target()}` first (or pass --pex)")
    print(f"running {package}#{spec.name} with cwltool ({'image' if args.image else pex}) into {out}", file=sys.stderr)
    run = run_package(package, spec, job, out, pex=pex, engine=engine)
    if run.exit_code != 0:
        print(run.log, file=sys.stderr)
        raise UserError(spec.name, f"the CWL run failed (cwltool exit {run.exit_code}): {first_error(run.log)}")
    print(json.dumps(run.outputs, indent=2))
    return 0


SD2E_SCHEMA = "sd2e-pipeline.schema.json"


def specs_folder(root: Path) -> Path | None:
    """The published schemas (OGC, SD2E): $POLYGEAR_SPECS, else ../shared/specs beside the repository."""
    return find_specs("ogcapi-processes-1.0", root)


def cmd_cwl_validate(args: argparse.Namespace) -> int:
    root = find_root()
    gears = [find_gear(name) for name in args.gears] or [
        find_gear(str(p.parent.parent.parent)) for p in sorted((root / "gears").glob("*/src/docker/manifest.json"))
    ]
    specs = specs_folder(root)
    if specs is None:
        print(
            "note: OGC schemas not found (set POLYGEAR_SPECS); the ogcapppkg documents are not checked", file=sys.stderr
        )
    failed = 0
    for gear in gears:
        name = gear.manifest().name
        cwl, ogc = cwl_path(gear.manifest_path, name), ogcapppkg_path(gear.manifest_path, name)
        if not cwl.is_file() or not ogc.is_file():
            raise UserError(str(cwl.parent), f"no application package; run `{APPPKG_REGENERATE}`")
        problems = package_problems(cwl, ogc, name, specs)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(
            f"{name}: {'FAILED' if problems else 'ok'} (cwltool, eoap-validator, ap-validator"
            f"{', OGC schemas' if specs else ''})",
            file=sys.stderr,
        )
        failed += bool(problems)
    return 1 if failed else 0


def _pipeline(root: Path, name: str) -> Pipeline:
    matches = [p for p in sorted((root / "pipelines").glob(f"{name}.*")) if p.suffix in PIPELINE_SUFFIXES]
    if not matches:
        known = sorted(p.stem for p in (root / "pipelines").glob("*") if p.suffix in PIPELINE_SUFFIXES)
        raise UserError(name, f"no such pipeline (pipelines/<name>.yaml; pipelines here: {', '.join(known) or 'none'})")
    tools = tools_by_image(sorted(root.glob("gears/*/src/docker/manifest.json")))
    specs = specs_folder(root)
    schema = json.loads((specs / SD2E_SCHEMA).read_text()) if specs and (specs / SD2E_SCHEMA).is_file() else None
    return resolve(matches[0], tools, schema)


def cmd_pipeline_compile(args: argparse.Namespace) -> int:
    pipeline = _pipeline(find_root(), args.pipeline)
    text = render_cwl(compile_pipeline(pipeline))
    if args.out:
        write_text_atomic(Path(args.out), text)
        print(f"wrote {args.out} (run it as {args.out}#{pipeline.name})", file=sys.stderr)
    else:
        print(text, end="")
    return 0


def cmd_pipeline_run(args: argparse.Namespace) -> int:
    root = find_root()
    pipeline = _pipeline(root, args.pipeline)
    job = pipeline_job(pipeline, args.input)
    out = Path(args.out or root / "dist" / "pipeline-runs" / f"{pipeline.name}-{dt.datetime.now():%Y%m%d-%H%M%S}")
    engine = None if args.pex else container_engine()
    if args.image and engine is None:
        raise UserError("--image", "no container engine found (install Docker, or podman on Linux)")
    if args.engine == "toil" and engine is not None and Path(engine).name != "docker":
        if args.image:
            raise UserError("--image", "Toil runs images with Docker only; use --engine cwltool with podman")
        engine = None  # podman only: Toil runs the pexes
    pexes: dict[str, Path] | None = None
    if engine is None:  # no container: each step's /bin/run is its tool's pex
        pexes = {}
        for step in pipeline.steps:
            gear = find_gear(step.spec.name)
            if not gear.pex_path().is_file():
                raise UserError(str(gear.pex_path()), f"pex not built; run `./pants package {gear.pex_target()}` first")
            pexes[step.spec.name] = gear.pex_path()
    how = "the tools' pexes" if pexes is not None else f"the tools' images ({Path(engine or 'docker').name})"
    print(
        f"running {pipeline.name} ({len(pipeline.steps)} steps) with {args.engine}, {how}, into {out}", file=sys.stderr
    )
    if args.service:
        client = JobClient(args.service, os.environ.get("POLYGEAR_JOBS_ADMIN_TOKEN", ""))
        archive = Path(args.archive_root) if args.archive_root else None
        tracked = tracked_run(pipeline, job, out, client, archive, pexes, engine, args.engine)
        history = " -> ".join(f"{e['name']}:{e['state']}" for e in tracked.job["history"])
        print(f"job {tracked.job['uuid']} {tracked.job['state']} ({history})", file=sys.stderr)
        print(json.dumps(tracked.job, indent=2))
        return 0
    run = run_pipeline(pipeline, job, out, pexes, engine, runner=args.engine)
    print(json.dumps(run.outputs, indent=2))
    return 0


def next_version(current: str, how: str) -> str:
    if VERSION_RE.match(how):
        return how
    m = VERSION_RE.match(current)
    if how not in ("major", "minor", "patch"):
        raise UserError("version", f"expected major, minor, patch or a version like 1.2.3, found {how!r}")
    if not m:
        raise UserError("manifest.json:version", f"expected a version like 1.2.3 to bump, found {current!r}")
    major, minor, patch = (int(x) for x in m.groups()[:3])
    if how == "major":
        return f"{major + 1}.0.0"
    if how == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _changelog_text(path: Path, version: str) -> str | None:
    """Turn the `## Unreleased` section into `## <version> - <date>` (keep-a-changelog style)."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if re.search(rf"^## \[?{re.escape(version)}\]?", text, flags=re.M):
        return None
    today = dt.date.today().isoformat()
    if re.search(r"^## \[?Unreleased\]?\s*$", text, flags=re.M | re.I):
        return re.sub(
            r"^## \[?Unreleased\]?\s*$", f"## Unreleased\n\n## {version} - {today}", text, count=1, flags=re.M | re.I
        )
    return None


def cmd_bump(args: argparse.Namespace) -> int:
    gear = find_gear(args.gear)
    manifest = gear.manifest()
    old = manifest.version
    new = next_version(old, args.version)
    if new == old:
        raise UserError("version", f"{gear.name} is already at {old}")
    target = gear.image()
    if old not in target.image_tags:
        raise UserError(
            f"{target.build_file}:image_tags",
            f"expected the current version {old!r} among the tags, found {list(target.image_tags)}",
        )
    data = dict(manifest.data)
    data["version"] = new
    image = manifest.image
    if image:
        repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
        data.setdefault("custom", {}).setdefault("gear-builder", {})["image"] = f"{repo}:{new}"
    build_text = replace_tags_in_build(target, old, new)
    changelog = _changelog_text(gear.dir / "CHANGELOG.md", new)
    # All new contents are computed; now write each file atomically.
    write_json_atomic(gear.manifest_path, data)
    write_text_atomic(target.build_file, build_text)
    if changelog is not None:
        write_text_atomic(gear.dir / "CHANGELOG.md", changelog)
    methods = gear.root / METHODS_DIR
    if methods.is_dir():  # descriptors generated from the manifest follow it
        ccp_generate(["--out", str(methods), str(gear.manifest_path)])
    apppkg_generate([str(gear.manifest_path)])
    findings = _lint(gear)
    for f in findings:
        print(f, file=sys.stderr)
    print(
        f"{gear.name}: {old} -> {new} (manifest version, custom.gear-builder.image, BUILD image_tags"
        f"{', CHANGELOG.md' if changelog is not None else ''}{', the CCP Method' if methods.is_dir() else ''}, the application package)",
        file=sys.stderr,
    )
    return 1 if findings else 0


def _lint(gear: Gear) -> list[Finding]:
    """The same rules as `./pants lint`, with the facts Pants would compute read from the files."""
    target = gear.image()
    facts = ToolFacts(
        manifest=gear.manifest_path,
        target_name=target.name,
        image_refs=tuple(gear.image_refs()),
        pex_paths=(gear.pex_context_path,),
        dockerfile=gear.docker_dir / "Dockerfile",
        manifest_context_path=gear.manifest_path.relative_to(gear.root).as_posix(),
        build_file=str(target.build_file.relative_to(gear.root)),
        lint_config=gear.lint_config,
        base_dockerfile=gear.base_dockerfile,
        build_args=(("TOOL", gear.name),),
    )
    return [f for f in lint_tool(facts) if f.severity == "error"]


def cmd_lint_rules(args: argparse.Namespace) -> int:
    print(rules_table())
    return 0


def release_tag(gear: Gear) -> str:
    return f"gears/{gear.name}/v{gear.manifest().version}"


def cmd_upload(args: argparse.Namespace) -> int:
    gear = find_gear(args.gear)
    findings = _lint(gear)
    if findings:
        for f in findings:
            print(f, file=sys.stderr)
        raise UserError(
            str(gear.manifest_path.relative_to(gear.root)),
            f"lint failed with {len(findings)} problem(s); refusing to upload",
        )
    tag = release_tag(gear)
    if not args.allow_existing_tag:
        probe = subprocess.run(
            ["git", "-C", str(gear.root), "tag", "--list", tag], capture_output=True, text=True, check=False
        )
        if probe.stdout.strip():
            raise UserError(
                tag,
                "this version is already released (the git tag exists); bump the version first: "
                f"./pants gear bump {gear.name} patch",
            )
    cmd = ["fw-beta", "gear", "upload", str(gear.docker_dir.relative_to(gear.root))]
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    if shutil.which("fw-beta") is None:
        raise UserError("fw-beta", "not installed; `pip install fw-beta` and `fw-beta login`, or use --dry-run")
    print(f"+ {' '.join(cmd)}", file=sys.stderr)
    return subprocess.run(cmd, cwd=gear.root, check=False).returncode


def cmd_release_check(args: argparse.Namespace) -> int:
    m = TAG_RE.match(args.tag)
    if not m:
        raise UserError(args.tag, "expected a tag like gears/<name>/v<version>")
    gear = find_gear(m.group("name"))
    version = gear.manifest().version
    if m.group("version") != version:
        raise UserError(
            args.tag,
            f"tag version {m.group('version')!r} does not match {gear.manifest_path.relative_to(gear.root)} version {version!r}",
        )
    print(
        json.dumps(
            {
                "gear": gear.name,
                "version": version,
                "docker_dir": str(gear.docker_dir.relative_to(gear.root)),
                "pex_target": gear.pex_target(),
                "image_target": f"{gear.docker_dir.relative_to(gear.root).as_posix()}:{gear.image().name}",
            }
        )
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="./pants gear", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a gear locally as Flywheel would")
    r.add_argument("gear", help="gear name (gears/<name>) or folder")
    r.add_argument(
        "-c", "--config", action="append", default=[], metavar="KEY=VALUE", help="config value (typed by the manifest)"
    )
    r.add_argument("-i", "--input", action="append", default=[], metavar="NAME=PATH", help="input file")
    r.add_argument("--out", help="folder to create for the run (default dist/local-runs/<gear>-<time>)")
    r.add_argument("--image", action="store_true", help="run the gear's image instead of its pex")
    r.add_argument("--pex", help="pex to run (default: the one `./pants package` wrote to dist/)")
    r.add_argument("--api-key", help="Flywheel API key for a gear with an api-key input")
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("bump", help="change a gear's version everywhere")
    b.add_argument("gear")
    b.add_argument("version", help="major, minor, patch or an explicit version like 1.2.3")
    b.set_defaults(func=cmd_bump)
    u = sub.add_parser("upload", help="upload a gear with fw-beta after lint and release checks")
    u.add_argument("gear")
    u.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    u.add_argument("--allow-existing-tag", action="store_true", help=argparse.SUPPRESS)
    u.set_defaults(func=cmd_upload)
    t = sub.add_parser("release-check", help="check a release tag against the manifest version")
    t.add_argument("tag", help="gears/<name>/v<version> (refs/tags/ prefix allowed)")
    t.set_defaults(func=cmd_release_check)
    cw = sub.add_parser("cwl-run", help="run a gear's CWL application package with cwltool")
    cw.add_argument("gear", help="gear name (gears/<name>) or folder")
    cw.add_argument("-c", "--config", action="append", default=[], metavar="KEY=VALUE", help="parameter value")
    cw.add_argument("-i", "--input", action="append", default=[], metavar="NAME=PATH", help="input file")
    cw.add_argument("--out", help="output folder (default dist/cwl-runs/<gear>-<time>)")
    cw.add_argument(
        "--image", action="store_true", help="run in the gear's image (Docker or podman) instead of its pex"
    )
    cw.add_argument("--pex", help="pex standing in for /bin/run (default: the one `./pants package` wrote)")
    cw.set_defaults(func=cmd_cwl_run)
    cv = sub.add_parser("cwl-validate", help="check application packages with cwltool, eoap- and ap-validator")
    cv.add_argument("gears", nargs="*", help="gear names (default: every gear)")
    cv.set_defaults(func=cmd_cwl_validate)
    pr = sub.add_parser(
        "pipeline-run", help="run a pipeline of pipelines/ with cwltool or Toil (the pexes, or --image)"
    )
    pr.add_argument("pipeline", help="pipeline name (pipelines/<name>.yaml)")
    pr.add_argument("-i", "--input", action="append", default=[], metavar="NAME=PATH", help="pipeline input file")
    pr.add_argument("--out", help="output folder (default dist/pipeline-runs/<pipeline>-<time>)")
    where = pr.add_mutually_exclusive_group()
    where.add_argument("--image", action="store_true", help="the tools' images (default with Docker or podman)")
    where.add_argument("--pex", action="store_true", help="the tools' pexes, no container (default without an engine)")
    pr.add_argument("--engine", choices=("cwltool", "toil"), default="cwltool", help="the CWL runner (default cwltool)")
    pr.add_argument(
        "--service",
        metavar="URL",
        help="track the run as a job of the job service (admin token: $POLYGEAR_JOBS_ADMIN_TOKEN)",
    )
    pr.add_argument(
        "--archive-root",
        metavar="DIR",
        help="with --service: archive the outputs under DIR/<job archive path> and index them",
    )
    pr.set_defaults(func=cmd_pipeline_run)
    pc = sub.add_parser("pipeline-compile", help="print (or --out FILE) a pipeline's compiled CWL Workflow")
    pc.add_argument("pipeline", help="pipeline name (pipelines/<name>.yaml)")
    pc.add_argument("--out", help="write the CWL here instead of printing it")
    pc.set_defaults(func=cmd_pipeline_compile)
    lr = sub.add_parser("lint-rules", help="list the descriptor lint's rules")
    lr.set_defaults(func=cmd_lint_rules)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
