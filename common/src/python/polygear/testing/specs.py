"""The published schemas and reference vectors for tests: found once, skipped or failed with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from polygear.dev.workspace import SPECS_ENV, find_specs

__all__ = ["specs_or_skip"]


def specs_or_skip(marker: str) -> Path:
    """The specs folder holding `marker`; a wrong `$POLYGEAR_SPECS` fails, no specs at all skips."""
    found = find_specs(marker)
    if found is not None:
        return found
    given = os.environ.get(SPECS_ENV)
    if given:
        pytest.fail(f"{SPECS_ENV}={given}: expected {marker} in it")
    pytest.skip(f"{marker} not found: set {SPECS_ENV} to the published specs folder (../shared/specs)")
