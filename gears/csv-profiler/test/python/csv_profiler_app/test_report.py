"""Tests for the HTML report: the alert rules on hand-built profiles (each rule once firing, once not),
escaping and links of the rendered page, and a real render in headless Chromium (screenshot and DOM),
so that a report which is valid HTML but shows nothing (or the wrong thing) does not pass."""

from __future__ import annotations

import csv
import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from csv_profiler_app.alerts import (
    HIGH_CARDINALITY_FRACTION,
    HIGH_CARDINALITY_MIN_DISTINCT,
    HIGH_MISSING_FRACTION,
    SKEWNESS_THRESHOLD,
    Alert,
    column_alerts,
    duplicate_alert,
    find_alerts,
    percent,
)
from csv_profiler_app.main import profile_table, write_report
from csv_profiler_app.report import render_html

DATA = Path(__file__).parents[2] / "data"
VISITS = DATA / "visits.csv"


def text_column(
    name: str = "c", non_missing: int = 100, missing: int = 0, distinct: int = 10, **extra: Any
) -> dict[str, Any]:
    """A column result shaped like `columns.result()` for a string column."""
    col = {
        "name": name,
        "type": "string",
        "non_missing": non_missing,
        "missing": missing,
        "distinct": distinct,
        "distinct_exact": True,
        "top": [{"value": "x", "count": non_missing}] if non_missing else [],
        "top_exact": True,
        "top_count_error": 0,
    }
    col.update(extra)
    return col


def numeric_column(name: str = "n", skewness: float | None = 0.0, **extra: Any) -> dict[str, Any]:
    """A column result shaped like `columns.result()` for an integer column (with the new `skewness`)."""
    col = {
        "name": name,
        "type": "integer",
        "non_missing": 10,
        "missing": 0,
        "distinct": 10,
        "distinct_exact": True,
        "min": 1,
        "max": 10,
        "mean": 5.5,
        "std": 3.03,
        "skewness": skewness,
        "quantiles": {"p05": 1.45, "p25": 3.25, "p50": 5.5, "p75": 7.75, "p95": 9.55},
        "quantiles_exact": True,
        "histogram": {"edges": [0.5 + i for i in range(11)], "counts": [1] * 10, "sampled": False},
    }
    col.update(extra)
    return col


def profile_of(*columns: dict[str, Any], rows: int | None = None, **extra: Any) -> dict[str, Any]:
    numeric = [c["name"] for c in columns if c["type"] in ("integer", "float")]
    profile = {
        "source": "t.csv",
        "rows": rows if rows is not None else (columns[0]["non_missing"] + columns[0]["missing"] if columns else 0),
        "blank_lines_skipped": 0,
        "columns": list(columns),
        "correlation": {"columns": numeric, "matrix": [[1.0 if a == b else None for b in numeric] for a in numeric]},
    }
    profile.update(extra)
    return profile


def kinds(col: dict[str, Any]) -> list[str]:
    return [a.kind for a in column_alerts(0, col)]


# ---------------------------------------------------------------------------------------------
# Alert rules: one case that fires and one that does not, per rule


def test_thresholds_are_the_documented_ones() -> None:
    assert (HIGH_MISSING_FRACTION, HIGH_CARDINALITY_FRACTION, HIGH_CARDINALITY_MIN_DISTINCT, SKEWNESS_THRESHOLD) == (
        0.20,
        0.50,
        50,
        1.0,
    )


def test_constant_column() -> None:
    (alert,) = column_alerts(3, text_column(distinct=1, top=[{"value": "ALPHA", "count": 100}]))
    assert (alert.kind, alert.column, alert.label) == ("constant", 3, "Constant")
    assert "ALPHA" in alert.detail
    assert kinds(text_column(distinct=2)) == []
    assert kinds(numeric_column(distinct=1, min=7, max=7, skewness=None)) == ["constant"]
    (long,) = column_alerts(0, text_column(distinct=1, top=[{"value": "x" * 100, "count": 100}]))
    assert long.detail == "has one value only: " + "x" * 39 + "…"


def test_high_missing_column_from_20_percent() -> None:
    (alert,) = column_alerts(0, text_column(non_missing=80, missing=20))
    assert alert.kind == "missing" and "20.0 %" in alert.detail and "20 of 100" in alert.detail
    assert kinds(text_column(non_missing=81, missing=19)) == []


def test_all_missing_column_gets_one_alert_and_an_empty_table_none() -> None:
    assert kinds(text_column(non_missing=0, missing=30, distinct=0)) == ["all_missing"]
    assert kinds(text_column(non_missing=0, missing=0, distinct=0)) == []  # header-only table
    assert kinds(text_column(non_missing=1, missing=29, distinct=1)) == ["missing", "constant"]


def test_high_cardinality_string_column() -> None:
    (alert,) = column_alerts(0, text_column(non_missing=100, distinct=60))
    assert alert.kind == "high_cardinality" and "60 distinct" in alert.detail and "60.0 %" in alert.detail
    assert kinds(text_column(non_missing=100, distinct=49)) == []  # below 50 %
    assert kinds(text_column(non_missing=60, distinct=50)) == []  # 83 %, but not more than 50 values
    assert kinds(text_column(non_missing=60, distinct=51)) == ["high_cardinality"]
    assert kinds(numeric_column(non_missing=100, distinct=100)) == []  # numbers are not identifiers here
    approx = column_alerts(0, text_column(non_missing=10**6, distinct=900_000, distinct_exact=False))
    assert "≈ 900,000" in approx[0].detail


@pytest.mark.parametrize(("skewness", "fires"), [(1.0, True), (-2.5, True), (0.99, False), (-0.5, False)])
def test_skewed_numeric_column(skewness: float, fires: bool) -> None:
    found = column_alerts(0, numeric_column(skewness=skewness))
    assert [a.kind for a in found] == (["skewed"] if fires else [])
    if fires:
        assert f"{skewness:.2f}" in found[0].detail
        assert ("right" if skewness > 0 else "left") in found[0].detail


def test_skewness_missing_or_undefined_gives_no_alert() -> None:
    col = numeric_column()
    del col["skewness"]  # a profile written before skewness existed
    assert kinds(col) == []
    assert kinds(numeric_column(skewness=None)) == []


def test_duplicate_rows() -> None:
    profile = profile_of(text_column(), duplicate_rows={"count": 5, "exact": True})
    alert = duplicate_alert(profile)
    assert alert == Alert("duplicates", None, "has 5 duplicate rows (5.0 %)")
    estimated = duplicate_alert(profile_of(text_column(), duplicate_rows={"count": 1, "exact": False}))
    assert estimated is not None and estimated.detail == "has ≈ 1 duplicate row (1.0 %)"
    assert duplicate_alert(profile_of(text_column(), duplicate_rows={"count": 0, "exact": True})) is None
    assert duplicate_alert(profile_of(text_column())) is None  # an older profile


def test_alerts_are_ordered_table_first_then_by_severity_and_column() -> None:
    profile = profile_of(
        numeric_column("skew", skewness=3.0),
        text_column("const", distinct=1, missing=50, non_missing=50),
        text_column("empty", non_missing=0, missing=100, distinct=0),
        duplicate_rows={"count": 2, "exact": True},
        rows=100,
    )
    profile["columns"][0].update(non_missing=100)
    found = [(a.kind, a.column) for a in find_alerts(profile)]
    assert found == [("duplicates", None), ("all_missing", 2), ("missing", 1), ("constant", 1), ("skewed", 0)]


def test_percent_never_rounds_to_the_extremes() -> None:
    assert (percent(1, 10_000), percent(9_999, 10_000), percent(0, 5), percent(5, 5)) == (
        "< 0.1 %",
        "> 99.9 %",
        "0.0 %",
        "100.0 %",
    )
    assert percent(1, 0) == "—"


# ---------------------------------------------------------------------------------------------
# The rendered page


class _Page(HTMLParser):
    """Collects the ids, in-page links, external references and element classes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.sources: list[str] = []
        self.tags: list[str] = []
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        if "href" in values:
            self.links.append(values["href"])
        if "src" in values:
            self.sources.append(values["src"])
        self.classes += values.get("class", "").split()


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_everything_from_the_data_is_escaped_and_every_alert_links_to_its_column() -> None:
    hostile = "<script>alert(1)</script>"
    profile = profile_of(
        text_column(hostile, non_missing=5, missing=5, distinct=1, top=[{"value": '&"<>', "count": 5}]),
        numeric_column('a"b', skewness=4.0, non_missing=10),
        duplicate_rows={"count": 1, "exact": True},
        rows=10,
    )
    profile["source"] = "<b>x</b>.csv"
    page = render_html(profile)
    assert "<script" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert "&amp;&quot;&lt;&gt;" in page
    parsed = parse(page)
    assert "script" not in parsed.tags
    assert len(parsed.ids) == len(set(parsed.ids))
    for link in parsed.links:
        assert link.startswith("#") and link[1:] in parsed.ids, link
    # The hostile column's alerts (missing, constant) and the skewed one each link to their section.
    assert parsed.links.count("#col-0-script-alert-1-script") >= 3
    assert "#col-1-a-b" in parsed.links
    assert {"a-duplicates", "a-missing", "a-constant", "a-skewed"} <= set(parsed.classes)


def test_the_page_is_self_contained_and_deterministic() -> None:
    profile = profile_table(VISITS)
    page = render_html(profile)
    parsed = parse(page)
    assert "http://" not in page and "https://" not in page
    assert parsed.sources and all(s.startswith("data:image/png;base64,iVBOR") for s in parsed.sources)
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert render_html(profile) == page


def test_overview_figures_and_per_column_sections(tmp_path: Path) -> None:
    profile = profile_table(VISITS)
    _, html_path = write_report(profile, tmp_path, "visits")
    page = html_path.read_text(encoding="utf-8")
    parsed = parse(page)
    assert {"overview", "alerts", "variables", "correlations"} <= set(parsed.ids)
    sections = [i for i in parsed.ids if i.startswith("col-")]
    assert sections == [f"col-{i}-{c['name'].replace('_', '-')}" for i, c in enumerate(profile["columns"])]
    assert "<th>Missing cells</th><td>23 <span" in page and "(7.7 %)" in page  # 23 of 300 cells
    assert "notes</code></a> has 53.3 % missing values (16 of 30)" in page
    assert page.count('class="var-body"') == len(profile["columns"])  # figures beside chart, per column
    assert page.count("<h3>Quantiles</h3>") == 4 and page.count("<h3>Most frequent values</h3>") == 6
    assert "<th>Earliest</th><td>2023-01-09</td>" in page


def test_new_profile_fields_are_shown_and_old_profiles_still_render() -> None:
    old = profile_of(numeric_column(), text_column("t", non_missing=10))
    del old["columns"][0]["skewness"]
    page = render_html(old)
    assert "Skewness" not in page and "not counted" in page and "a-skewed" not in parse(page).classes
    new = profile_of(
        numeric_column(skewness=1.25), text_column("t", non_missing=10), duplicate_rows={"count": 2, "exact": False}
    )
    page = render_html(new)
    assert "<th>Skewness</th><td>1.25</td>" in page
    assert 'Duplicate rows</th><td><span class="approx"' in page and "(20.0 %)" in page
    assert {"a-skewed", "a-duplicates"} <= set(parse(page).classes)


def test_approximate_figures_are_marked() -> None:
    col = text_column(non_missing=10**6, distinct=123_456, distinct_exact=False, top_exact=False, top_count_error=7)
    page = render_html(profile_of(col))
    assert "≈</span> 123,456" in page
    assert "each may be up to 7 too low" in page


# ---------------------------------------------------------------------------------------------
# A real render in headless Chromium


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def browser(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with its own profile directory (parallel tests never share one)."""
    profile_dir = tmp_path / "chromium-profile"
    env = {**os.environ, "HOME": str(tmp_path)}
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile_dir}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=False)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def distinct_colours(path: Path) -> int:
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(path)
    return len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0))


def crafted_table(path: Path) -> Path:
    """60 distinct rows and 3 repeats: an id-like column, a constant one, a half-missing one and a
    strongly right-skewed one (mostly small values and a few very large ones), plus two ordinary ones."""
    rows = []
    for i in range(60):
        skewed = 1000 + i if i % 20 == 0 else i % 7
        rows.append(
            [f"ID-{i:04d}", "ALPHA", "" if i % 2 else f"note {i % 3}", skewed, f"{150 + (i * 37) % 41 / 1.3:.1f}"]
        )
    rows += rows[:3]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["record_id", "study", "comment", "length_of_stay", "height_cm"])
        writer.writerows(rows)
    return path


def expected_alerts(profile: dict[str, Any]) -> set[str]:
    """Alerts the crafted table must raise; skewness and duplicate rows only once the profiler
    provides them (older profilers do not, and their reports must still render)."""
    expected = {"constant", "missing", "high_cardinality"}
    if any(c.get("skewness") is not None for c in profile["columns"]):
        expected.add("skewed")
    if "duplicate_rows" in profile:
        expected.add("duplicates")
    return expected


def render_in_chromium(profile: dict[str, Any], tmp_path: Path) -> tuple[Path, _Page, str]:
    """Write the report, screenshot it at 1280x2000 and dump its DOM; check the screenshot is a real render."""
    binary = chromium()
    if binary is None:
        pytest.skip("no Chromium binary (chromium, chromium-browser, google-chrome): apt-get install chromium")
    _, html_path = write_report(profile, tmp_path / "out", "table")
    url = html_path.resolve().as_uri()
    shot = tmp_path / "shot.png"
    run = browser(binary, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert shot.exists(), run.stderr[-2000:]
    assert png_size(shot) == (1280, 2000)
    # A blank or failed page has a handful of colours; text, badges and histograms give hundreds.
    assert distinct_colours(shot) > 64
    dom = browser(binary, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = parse(dom.stdout)
    assert parsed.ids.count("overview") == 1 and "correlations" in parsed.ids
    return shot, parsed, dom.stdout


def shown_alerts(parsed: _Page) -> set[str]:
    return {c[2:] for c in parsed.classes if c.startswith("a-")}


def test_crafted_table_renders_with_its_alerts_in_chromium(tmp_path: Path) -> None:
    profile = profile_table(crafted_table(tmp_path / "crafted.csv"))
    names = {c["name"]: c for c in profile["columns"]}
    assert names["length_of_stay"]["type"] == "integer" and names["record_id"]["distinct"] == 60
    _, parsed, dom = render_in_chromium(profile, tmp_path)
    shown = shown_alerts(parsed)
    assert shown == {a.kind for a in find_alerts(profile)}
    assert expected_alerts(profile) <= shown, shown
    assert "record_id" in dom and "ALPHA" in dom
    assert dom.count('class="chart"') == 2  # a histogram beside each numeric column's figures


def test_visits_renders_in_chromium(tmp_path: Path) -> None:
    profile = profile_table(VISITS)
    _, parsed, _ = render_in_chromium(profile, tmp_path)
    assert shown_alerts(parsed) == {a.kind for a in find_alerts(profile)}
    assert "missing" in shown_alerts(parsed)  # notes: 16 of 30 cells missing


def test_every_alert_kind_renders_in_chromium(tmp_path: Path) -> None:
    """All six badges at once, from a hand-built profile (independent of what the profiler computes)."""
    profile = profile_of(
        numeric_column("stay", skewness=2.7, non_missing=100),
        text_column("study", distinct=1, top=[{"value": "ALPHA", "count": 100}]),
        text_column("comment", non_missing=30, missing=70, distinct=4),
        text_column("empty", non_missing=0, missing=100, distinct=0),
        text_column("record_id", distinct=100, top=[{"value": "ID-1", "count": 1}]),
        rows=100,
        duplicate_rows={"count": 3, "exact": True},
    )
    _, parsed, dom = render_in_chromium(profile, tmp_path)
    assert shown_alerts(parsed) == {"duplicates", "all_missing", "missing", "constant", "high_cardinality", "skewed"}
    assert "Dataset has 3 duplicate rows (3.0 %)" in dom
