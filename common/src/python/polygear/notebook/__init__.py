"""Notebook tools: a notebook's papermill parameters, typed strictly and mapped to the tool manifest."""
