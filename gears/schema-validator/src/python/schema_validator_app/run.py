"""schema-validator on every platform: maps its parameters and inputs onto main.validate_records."""

from polygear.core.run import RunContext
from polygear.entry import run_tool

from schema_validator_app.main import report_stem, summary, validate_records, write_report


def compute(ctx: RunContext) -> dict[str, object]:
    records, schema = ctx.require_input("records"), ctx.require_input("schema")
    result = validate_records(records, schema, data_format=ctx.config["format"], max_errors=ctx.config["max_errors"])
    write_report(result, ctx.output_dir, stem=report_stem(records))
    short = summary(result)
    # Invalid data is a result: recorded on the input file, and the run still succeeds.
    ctx.annotations.input_file("records", info={"schema_validation": short}, tags=[f"schema-{result['status']}"])
    return short


if __name__ == "__main__":
    raise SystemExit(run_tool(compute))
