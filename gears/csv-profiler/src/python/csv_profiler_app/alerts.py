"""Data-quality alerts derived from a finished profile: the short list a reader checks first.

The rules read only the profile dict (never the data), so a report can be re-rendered from a saved
`<stem>_profile.json`, and the thresholds live here, in one place, as named constants: the README's
report section documents the same numbers. Profiles written before `skewness` and `duplicate_rows`
existed simply produce no skewness or duplicate-row alerts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# A column is "high-missing" from this share of missing cells on (and "all missing" at 100 %).
HIGH_MISSING_FRACTION = 0.20
# A string column is "high-cardinality" (usually an identifier or free text, useless as a category)
# when its distinct values are at least this share of its non-missing values ...
HIGH_CARDINALITY_FRACTION = 0.50
# ... and more than this many: a 10-row table whose 8 names differ is not worth an alert.
HIGH_CARDINALITY_MIN_DISTINCT = 50
# A numeric column is "skewed" when |sample skewness| reaches this: a rule of thumb for "highly skewed",
# where the mean and standard deviation describe the values poorly (consider a log scale or the median).
SKEWNESS_THRESHOLD = 1.0

NUMERIC_TYPES = ("integer", "float")

# Kinds in the order the report lists them: whole-table problems first, then the most severe.
KINDS = ("duplicates", "all_missing", "missing", "constant", "high_cardinality", "skewed")
LABELS = {
    "duplicates": "Duplicates",
    "all_missing": "All missing",
    "missing": "Missing",
    "constant": "Constant",
    "high_cardinality": "High cardinality",
    "skewed": "Skewed",
}


@dataclass(frozen=True)
class Alert:
    """One finding. `column` is the column's position in the profile (None for the whole table);
    `detail` is plain text (the report escapes it) that follows the column's name, or "Dataset"."""

    kind: str
    column: int | None
    detail: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


def percent(part: float, whole: float) -> str:
    """`part` as a share of `whole`, never rounded to a misleading 0.0 % or 100.0 %."""
    if whole <= 0:
        return "—"
    share = 100.0 * part / whole
    if 0 < share < 0.1:
        return "< 0.1 %"
    if 99.9 < share < 100:
        return "> 99.9 %"
    return f"{share:.1f} %"


def _count(n: int) -> str:
    return f"{n:,}"


# A constant column's value is quoted in its alert up to this many characters (free text can be long).
_QUOTED_VALUE_CHARS = 40


def _constant_value(col: dict[str, Any]) -> str | None:
    """The single value of a constant column, as text (for the message), if the profile holds it."""
    if col.get("top"):
        value = str(col["top"][0]["value"])
    elif col["type"] in NUMERIC_TYPES and col.get("min") is not None:
        value = str(col["min"])
    else:
        return None
    return value if len(value) <= _QUOTED_VALUE_CHARS else value[: _QUOTED_VALUE_CHARS - 1] + "…"


def _missing_alert(col: dict[str, Any]) -> str | None:
    cells = col["non_missing"] + col["missing"]
    if cells and col["missing"] / cells >= HIGH_MISSING_FRACTION:
        return f"has {percent(col['missing'], cells)} missing values ({_count(col['missing'])} of {_count(cells)})"
    return None


def _cardinality_alert(col: dict[str, Any]) -> str | None:
    distinct, present = col["distinct"], col["non_missing"]
    if col["type"] != "string" or not present:
        return None
    if distinct > HIGH_CARDINALITY_MIN_DISTINCT and distinct >= HIGH_CARDINALITY_FRACTION * present:
        approx = "" if col.get("distinct_exact", True) else "≈ "
        return (
            f"has a high cardinality: {approx}{_count(distinct)} distinct values "
            f"({percent(distinct, present)} of non-missing); likely an identifier or free text"
        )
    return None


def _skew_alert(col: dict[str, Any]) -> str | None:
    skewness = col.get("skewness")
    if col["type"] not in NUMERIC_TYPES or skewness is None or not math.isfinite(skewness):
        return None
    if abs(skewness) >= SKEWNESS_THRESHOLD:
        side = "right (long tail of large values)" if skewness > 0 else "left (long tail of small values)"
        return f"is highly skewed to the {side}: skewness {skewness:.2f}"
    return None


def column_alerts(index: int, col: dict[str, Any]) -> list[Alert]:
    """The alerts of one column result (`columns.result()`), at position `index` in the profile."""
    if not col["non_missing"]:
        if col["missing"]:
            return [Alert("all_missing", index, f"has only missing values ({_count(col['missing'])} cells)")]
        return []  # a header-only table: nothing to say about any column
    found: list[Alert] = []
    missing = _missing_alert(col)
    if missing:
        found.append(Alert("missing", index, missing))
    if col["distinct"] == 1 and col.get("distinct_exact", True):
        value = _constant_value(col)
        found.append(Alert("constant", index, "has one value only" + (f": {value}" if value is not None else "")))
    cardinality = _cardinality_alert(col)
    if cardinality:
        found.append(Alert("high_cardinality", index, cardinality))
    skew = _skew_alert(col)
    if skew:
        found.append(Alert("skewed", index, skew))
    return found


def duplicate_alert(profile: dict[str, Any]) -> Alert | None:
    """Whole rows repeated: counted by the profiler (`duplicate_rows`), absent from older profiles."""
    duplicates = profile.get("duplicate_rows")
    if not duplicates or duplicates.get("count", 0) <= 0:
        return None
    approx = "" if duplicates.get("exact", True) else "≈ "
    count = duplicates["count"]
    noun = "row" if count == 1 else "rows"
    return Alert(
        "duplicates", None, f"has {approx}{_count(count)} duplicate {noun} ({percent(count, profile['rows'])})"
    )


def find_alerts(profile: dict[str, Any]) -> list[Alert]:
    """Every alert of the profile, whole-table ones first, then by kind (most severe first) and column."""
    found = [a for i, col in enumerate(profile["columns"]) for a in column_alerts(i, col)]
    duplicates = duplicate_alert(profile)
    if duplicates:
        found.append(duplicates)
    return sorted(found, key=lambda a: (KINDS.index(a.kind), -1 if a.column is None else a.column))
