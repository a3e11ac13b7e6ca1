"""csv-splitter's platform entry point: maps manifest config and inputs onto main.split_csv."""

from __future__ import annotations

from typing import Any

from polygear.engine import RunContext, run_gear

from csv_splitter_app.main import split_csv


def compute(ctx: RunContext) -> dict[str, Any]:
    result = split_csv(
        source=ctx.require_input("table"),
        out_dir=ctx.output_dir,
        column=ctx.config["column"],
        delimiter=ctx.config["delimiter"],
        output_pattern=ctx.config["output_pattern"],
        keep_key_column=ctx.config["keep_key_column"],
    )
    return result.summary()


if __name__ == "__main__":
    raise SystemExit(run_gear(compute))
