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

# Importing a rule module registers its rules: these are the rule sets every tool is checked with.
RULE_MODULES = (core_rules, flywheel_rules, ccp_rules, apppkg_rules, notebook_rules)


def rules_table() -> str:
    """The registry as a table: id, severity, name, doc."""
    rows = [f"{r.id}  {r.severity:<7}  {r.name:<22}  {r.doc}" for r in sorted(REGISTRY.values(), key=lambda r: r.id)]
    return "\n".join(rows)


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
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    if errors:
        print(f"{errors} problem(s), {warnings} warning(s) in {len(jobs)} tool(s)", file=sys.stderr)
        return 1
    print(f"{len(jobs)} tool(s) OK" + (f", {warnings} warning(s)" if warnings else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
