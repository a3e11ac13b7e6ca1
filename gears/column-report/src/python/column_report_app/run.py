"""column-report on every platform: its notebook, run by papermill with the bound parameters."""

from polygear.entry import run_tool
from polygear.notebook.execute import notebook_compute

if __name__ == "__main__":
    raise SystemExit(run_tool(notebook_compute()))
