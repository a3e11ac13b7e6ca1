"""Developer commands (`./pants gear ...`): local runs, version bumps and uploads of gears."""
