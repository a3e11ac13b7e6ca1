"""csv-profiler on every platform: maps its parameters and input onto main.profile_table."""

from polygear.core.run import RunContext
from polygear.entry import run_tool


def compute(ctx: RunContext) -> dict[str, object]:
    # Imported here, not above: polars and numpy load only when there is work (`--help` stays instant).
    from csv_profiler_app.main import metadata_summary, profile_table, write_report

    table = ctx.require_input("table")
    profile = profile_table(table, **ctx.params("delimiter", "max_exact_distinct", "top_n", "sample_size", "bins"))
    write_report(profile, ctx.output_dir, stem=table.stem)
    summary = metadata_summary(profile)
    ctx.annotations.input_file("table", info={"profile": summary})
    return summary


if __name__ == "__main__":
    raise SystemExit(run_tool(compute))
