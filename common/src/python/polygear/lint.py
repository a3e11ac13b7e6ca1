"""The descriptor lint runner: every platform's rules over every tool Pants hands it.

Run by the in-repo Pants plugin during `./pants lint` (the plugin computes image references and pex
paths exactly as `./pants package` will), by `./pants gear upload/bump`, and directly:

    python -m polygear.lint --spec gears.json           (written by the plugin)
    python -m polygear.lint --manifest M --dockerfile D --target-name N --image-ref R... --pex P...
    python -m polygear.lint --list-rules

Every problem is one line `path:field: expected X, found Y [RULE]`; the exit code is 1 when there
is an error (warnings print `[RULE warning]` and do not fail).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polygear.apppkg import lint_rules as apppkg_rules
from polygear.ccp import lint_rules as ccp_rules
from polygear.core import lint_rules as core_rules
from polygear.core.lint import REGISTRY, Finding, ToolFacts, lint_tool
from polygear.flywheel import lint_rules as flywheel_rules
from polygear.notebook import lint_rules as notebook_rules
from polygear.sd2e.definition import PIPELINE_SUFFIXES, check, tools_by_image

# Importing a rule module registers its rules: these are the rule sets every tool is checked with.
SD2E_SCHEMA = "sd2e-pipeline.schema.json"
RULE_MODULES = (core_rules, flywheel_rules, ccp_rules, apppkg_rules, notebook_rules)


def rules_table() -> str:
    """The registry as a table: id, severity, name, doc."""
    rows = [f"{r.id}  {r.severity:<7}  {r.name:<22}  {r.doc}" for r in sorted(REGISTRY.values(), key=lambda r: r.id)]
    return "\n".join(rows)


def lint_pipelines(folder: Path, jobs: list[dict[str, Any]], specs: Path | None) -> tuple[list[str], int]:
    """Every problem of every pipeline in `folder`, against every tool (SD001-SD005).

    A pipeline may use any tool, not only the ones being linted: the tools are every
    `gears/*/src/docker/manifest.json` beside `folder` (the Pants plugin puts them all in the sandbox),
    plus the linted ones.
    """
    if not folder.is_dir():
        return [], 0
    manifests = {
        *folder.resolve().parent.glob("gears/*/src/docker/manifest.json"),
        *(Path(j["manifest"]).resolve() for j in jobs),
    }
    tools = tools_by_image(sorted(manifests))
    schema_path = specs / SD2E_SCHEMA if specs else None
    schema = json.loads(schema_path.read_text(encoding="utf-8")) if schema_path and schema_path.is_file() else None
    files = sorted(p for p in folder.iterdir() if p.suffix in PIPELINE_SUFFIXES)
    return [str(problem) for path in files for problem in check(path, tools, schema)[1]], len(files)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gear-lint", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--spec", type=Path, help="JSON list of tools to lint (written by the Pants plugin)")
    p.add_argument("--manifest", type=Path)
    p.add_argument("--dockerfile", type=Path)
    p.add_argument("--target-name")
    p.add_argument("--image-ref", action="append", default=[])
    p.add_argument("--pex", action="append", default=[])
    p.add_argument("--build-file", default="BUILD")
    p.add_argument("--lint-config", type=Path, help="the tool's lint.toml (rules turned off, with reasons)")
    p.add_argument("--pipelines", type=Path, help="a folder of SD2E pipeline definitions to check against the tools")
    p.add_argument("--specs", type=Path, help="the published schemas' folder (SD2E's pipeline schema; POLYGEAR_SPECS)")
    p.add_argument("--list-rules", action="store_true", help="print every rule and exit")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_rules:
        print(rules_table())
        return 0
    jobs: list[dict[str, Any]]
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
                "lint_config": str(args.lint_config) if args.lint_config else None,
            }
        ]
    else:
        _parser().error("give --spec, or --manifest and --target-name, or --list-rules")
    findings: list[Finding] = []
    for job in jobs:
        findings.extend(lint_tool(ToolFacts.from_job(job)))
    for f in findings:
        print(f)
    pipeline_problems, pipelines = lint_pipelines(args.pipelines, jobs, args.specs) if args.pipelines else ([], 0)
    for problem in pipeline_problems:
        print(problem)
    errors = sum(f.severity == "error" for f in findings) + len(pipeline_problems)
    warnings = sum(f.severity == "warning" for f in findings)
    if errors:
        scope = f"{len(jobs)} tool(s)" + (f" and {pipelines} pipeline(s)" if args.pipelines else "")
        print(f"{errors} problem(s), {warnings} warning(s) in {scope}", file=sys.stderr)
        return 1
    checked = f", {pipelines} pipeline(s)" if args.pipelines else ""
    print(f"{len(jobs)} tool(s){checked} OK" + (f", {warnings} warning(s)" if warnings else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
