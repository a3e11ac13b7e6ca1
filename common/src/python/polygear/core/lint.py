"""The descriptor lint as a registry of named rules (nf-core's lint is the model).

Each rule has an id (`PG001`, `FW002`, ...), a one-line doc, a severity, and a check over the facts
of one tool: its manifest, its Dockerfile, and what Pants will build (target name, image
references, pex paths). A tool may turn a rule off in `src/docker/lint.toml`, with a reason:

    [disable]
    FW002 = "this gear starts through a shell wrapper on purpose"

Errors fail `./pants lint`; warnings are printed and do not. Platform packages register their own
rules here; the runner (`polygear.lint`) collects them all.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from polygear.core import dockerfile
from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

Severity = Literal["error", "warning"]
LINT_CONFIG = "lint.toml"


@dataclass(frozen=True)
class ToolFacts:
    """One tool as the lint sees it; Pants computes the build facts (refs, pex paths)."""

    manifest: Path
    target_name: str
    image_refs: tuple[str, ...] = ()
    pex_paths: tuple[str, ...] = ()
    dockerfile: Path | None = None
    manifest_context_path: str | None = None
    build_file: str = "BUILD"
    lint_config: Path | None = None
    # The base image's Dockerfile (when the tool image is FROM an in-repo image) and the build args
    # the tool image is built with: the base's ONBUILD copies count as the tool's own.
    base_dockerfile: Path | None = None
    build_args: tuple[tuple[str, str], ...] = ()

    @property
    def manifest_in_context(self) -> str:
        return self.manifest_context_path or str(self.manifest)

    @classmethod
    def from_job(cls, job: Mapping[str, Any]) -> ToolFacts:
        return cls(
            manifest=Path(job["manifest"]),
            target_name=str(job["target_name"]),
            image_refs=tuple(job.get("image_refs", ())),
            pex_paths=tuple(job.get("pex_paths", ())),
            dockerfile=Path(job["dockerfile"]) if job.get("dockerfile") else None,
            manifest_context_path=job.get("manifest_context_path"),
            build_file=str(job.get("build_file", "BUILD")),
            lint_config=Path(job["lint_config"]) if job.get("lint_config") else None,
            base_dockerfile=Path(job["base_dockerfile"]) if job.get("base_dockerfile") else None,
            build_args=tuple(sorted(dict(job.get("build_args") or {}).items())),
        )

    def copies_to(self, source: str, dest: str) -> bool | None:
        """Does the image copy `source` to `dest`? None when there is no readable Dockerfile."""
        if self.dockerfile is None:
            return None
        try:
            text = self.dockerfile.read_text(encoding="utf-8")
            base = self.base_dockerfile.read_text(encoding="utf-8") if self.base_dockerfile else None
        except OSError:
            return None
        return dockerfile.copies_to(text, source, dest, base, dict(self.build_args))


@dataclass(frozen=True)
class Problem:
    """What a check found: `path:field: expected X, found Y`."""

    path: str
    field: str
    expected: str
    found: str


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    problem: Problem

    def __str__(self) -> str:
        p = self.problem
        tag = self.rule if self.severity == "error" else f"{self.rule} warning"
        return f"{p.path}:{p.field}: expected {p.expected}, found {p.found} [{tag}]"


Check = Callable[[ToolFacts, ToolSpec], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    doc: str
    severity: Severity
    check: Check = field(repr=False, compare=False)


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, name: str, doc: str, severity: Severity = "error") -> Callable[[Check], Check]:
    """Register a check under a stable id; ids are never reused for another meaning."""

    def register(check: Check) -> Check:
        if rule_id in REGISTRY:
            raise ValueError(f"lint rule {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, name, doc, severity, check)
        return check

    return register


def show(value: Any, limit: int = 80) -> str:
    """A value as it appears in a message: JSON, clipped."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or value else '""'
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_disabled(path: Path | None) -> tuple[dict[str, str], list[Problem]]:
    """Rule id -> reason from a tool's lint.toml; problems with the file itself are findings."""
    if path is None or not path.is_file():
        return {}, []
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [Problem(where, "(file)", "a readable TOML file", str(exc))]
    problems: list[Problem] = []
    unknown_tables = sorted(set(data) - {"disable"})
    for key in unknown_tables:
        problems.append(Problem(where, key, "only a [disable] table", show(key)))
    disabled: dict[str, str] = {}
    table = data.get("disable", {})
    if not isinstance(table, dict):
        return {}, [*problems, Problem(where, "disable", 'a table of RULE_ID = "reason"', show(table))]
    for rule_id, reason in table.items():
        if rule_id not in REGISTRY:
            problems.append(
                Problem(where, f"disable.{rule_id}", f"a rule id ({', '.join(sorted(REGISTRY))})", show(rule_id))
            )
        elif not isinstance(reason, str) or not reason.strip():
            problems.append(
                Problem(where, f"disable.{rule_id}", "a non-empty reason for turning the rule off", show(reason))
            )
        else:
            disabled[rule_id] = reason
    return disabled, problems


CONFIG_RULE = "PG000"


def lint_tool(facts: ToolFacts, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every finding for one tool, rule by rule, in registry order."""
    chosen = list(REGISTRY.values()) if rules is None else list(rules)
    disabled, config_problems = read_disabled(facts.lint_config)
    findings = [Finding(CONFIG_RULE, "error", p) for p in config_problems]
    try:
        spec = ToolSpec.load(facts.manifest)
    except UserError as exc:
        return [
            *findings,
            Finding("PG001", "error", Problem(exc.where, "(file)", "a readable JSON object", exc.message)),
        ]
    for r in chosen:
        if r.id in disabled:
            continue
        findings.extend(Finding(r.id, r.severity, p) for p in r.check(facts, spec))
    return findings
