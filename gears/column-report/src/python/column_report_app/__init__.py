"""column-report: a notebook tool (the notebook is src/notebook/process.ipynb)."""
