"""Developer commands (`./pants gear ...`), workspace layout, container engine and benchmark helpers."""
