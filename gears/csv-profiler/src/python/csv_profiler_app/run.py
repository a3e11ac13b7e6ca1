"""csv-profiler's platform entry point: maps manifest config and inputs onto main.profile_table."""

from __future__ import annotations

from typing import Any

from polygear.engine import RunContext, run_gear

from csv_profiler_app.main import metadata_summary, profile_table, write_report


def compute(ctx: RunContext) -> dict[str, Any]:
    table = ctx.require_input("table")
    profile = profile_table(
        table,
        delimiter=ctx.config["delimiter"],
        max_exact_distinct=ctx.config["max_exact_distinct"],
        top_n=ctx.config["top_n"],
        sample_size=ctx.config["sample_size"],
        bins=ctx.config["bins"],
    )
    write_report(profile, ctx.output_dir, stem=table.stem)
    summary = metadata_summary(profile)
    ctx.metadata.update_input_file("table", info={"profile": summary})
    return summary


if __name__ == "__main__":
    raise SystemExit(run_gear(compute))
