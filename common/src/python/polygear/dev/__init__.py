"""Developer commands (`./pants gear ...`), workspace layout and benchmark helpers."""
