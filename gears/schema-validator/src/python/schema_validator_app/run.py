"""schema-validator's platform entry point: maps manifest config and inputs onto main.validate_records."""

from __future__ import annotations

from typing import Any

from polygear.engine import RunContext, run_gear

from schema_validator_app.main import summary, validate_records, write_report


def compute(ctx: RunContext) -> dict[str, Any]:
    records = ctx.require_input("records")
    result = validate_records(
        records_path=records,
        schema_path=ctx.require_input("schema"),
        data_format=ctx.config["format"],
        max_errors=ctx.config["max_errors"],
    )
    write_report(result, ctx.output_dir, stem=records.stem)
    short = summary(result)
    # Invalid data is a result: recorded on the input file, and the job still succeeds.
    ctx.metadata.update_input_file("records", info={"schema_validation": short}, tags=[f"schema-{result['status']}"])
    return short


if __name__ == "__main__":
    raise SystemExit(run_gear(compute))
