"""Errors that are the user's to fix, as opposed to bugs.

The engine prints a `UserError` as one line naming the file or field at fault and exits 1; anything
else is a crash (traceback, exit 2). Gear `main.py` modules raise `InputError` for bad data so that
they stay free of any platform code yet still get the friendly treatment.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's config, inputs or files: `where` names the file or field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class InputError(UserError):
    """Bad input data found while computing (a ragged row, a missing column, bad encoding...)."""
