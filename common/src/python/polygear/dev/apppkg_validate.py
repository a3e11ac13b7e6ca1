"""Check a tool's application package with the ecosystem's own validators, not only with ours.

- `cwltool --validate <file>#<tool>`: the reference implementation accepts the document;
- `eoap-validator` (the EOAP best-practice rules: labels, docs, resources, container, metadata):
  no failed finding of severity error;
- `ap-validator` (ogc-ap-validator, OGC 20-089 requirements 7-14): compliant;
- the ogcapppkg document against the published OGC schemas (1.0 `process.yaml` for the process,
  2.0 draft `dru_ogcapppkg.yaml` for the whole), when a copy of them is at hand, and its inline CWL
  equal to the committed `.cwl`.

Each problem is one line naming the validator, the file and what it said.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from pathlib import Path

import yaml

from polygear.apppkg.ogc_schemas import deploy_validator, process_validator
from polygear.core.ogc_schema import violations


def cwltool_problems(cwl: Path, process_id: str) -> list[str]:
    from cwltool.main import main as cwltool_main  # heavy: only when validating

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    code = cwltool_main(
        ["--validate", "--disable-color", f"{cwl}#{process_id}"], stdout=out, stderr=err, logger_handler=handler
    )
    if code == 0:
        return []
    # cwltool wraps its message to the terminal's width and nests it under "checking ..." lines: one
    # line of the innermost reason (after the last source position) is what a reader needs.
    text = " ".join(" ".join(line.split()) for line in err.getvalue().splitlines() if "INFO" not in line)
    reason = re.split(r"\S+:\d+:\d+: ", text)[-1].strip() or f"exit {code}"
    return [f"cwltool --validate {cwl}#{process_id}: {reason}"]


def _quiet_loader() -> None:
    """Both EOAP validators load CWL through cwl-loader, which logs every step at DEBUG (loguru).

    loguru's one logger is reached through eoap-validator's CLI module, which imports it, so that
    loguru (a dependency of theirs) need not be one of ours.
    """
    from eoap_validator import cli  # type: ignore[import-untyped]  # no type hints shipped

    cli.logger.disable("cwl_loader")


def eoap_problems(cwl: Path, process_id: str) -> list[str]:
    from eoap_validator.engine import validate  # type: ignore[import-untyped]

    _quiet_loader()
    with contextlib.redirect_stdout(io.StringIO()):
        report = validate(f"{cwl}#{process_id}")
    problems = []
    for finding in report.findings:
        status = getattr(finding.status, "value", finding.status)
        severity = getattr(finding.severity, "value", finding.severity)
        if status in ("failed", "blocked") or (status == "needs-review" and severity == "error"):
            problems.append(f"eoap-validator {cwl}#{process_id}: [{finding.rule_id}] {finding.message}")
    if report.exit_code("error") != 0 and not problems:
        problems.append(f"eoap-validator {cwl}#{process_id}: exit {report.exit_code('error')}")
    return problems


def ap_validator_problems(cwl: Path, process_id: str) -> list[str]:
    from ap_validator.app_package import AppPackage  # type: ignore[import-untyped]

    _quiet_loader()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = AppPackage.from_url(str(cwl), entry_point=process_id).check_all(include=["error"])
    if result["valid"]:
        return []
    issues = [str(issue.get("message", issue)).splitlines()[0] for issue in result["issues"]] or ["not compliant"]
    return [f"ap-validator {cwl}: {issue}" for issue in issues]


def ogc_problems(ogcapppkg: Path, cwl: Path, specs: Path) -> list[str]:
    document = json.loads(ogcapppkg.read_text(encoding="utf-8"))
    problems = [f"{ogcapppkg} (dru_ogcapppkg.yaml): {v}" for v in violations(deploy_validator(specs), document)]
    process = document.get("processDescription", {}).get("process", {})
    problems += [f"{ogcapppkg} (1.0 process.yaml): {v}" for v in violations(process_validator(specs), process)]
    inline = document.get("executionUnit", {}).get("value")
    if inline != yaml.safe_load(cwl.read_text(encoding="utf-8")):
        problems.append(f"{ogcapppkg}: executionUnit.value is not the CWL of {cwl}")
    return problems


def package_problems(cwl: Path, ogcapppkg: Path, process_id: str, specs: Path | None) -> list[str]:
    """Every validator's complaints about one tool's package (empty: all of them accept it)."""
    problems = cwltool_problems(cwl, process_id)
    if problems:  # the others would only repeat that the document does not load
        return problems
    problems += eoap_problems(cwl, process_id)
    problems += ap_validator_problems(cwl, process_id)
    if specs is not None:
        problems += ogc_problems(ogcapppkg, cwl, specs)
    return problems
