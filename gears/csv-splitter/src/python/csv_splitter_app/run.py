"""csv-splitter on every platform: maps its parameters and input onto main.split_csv."""

from polygear.core.run import RunContext
from polygear.entry import run_tool


def compute(ctx: RunContext) -> dict[str, object]:
    # Imported here, not above: numpy loads only when there is work, so `/bin/run --help` stays instant.
    from csv_splitter_app.main import split_csv

    params = ctx.params("column", "delimiter", "output_pattern", "keep_key_column")
    return split_csv(source=ctx.require_input("table"), out_dir=ctx.output_dir, **params).summary()


if __name__ == "__main__":
    raise SystemExit(run_tool(compute))
