"""Tests for csv_profiler_app.main: expected values are recomputed independently from the raw
files with the csv and statistics modules, never copied from the profiler's own output."""

from __future__ import annotations

import csv
import json
import math
import random
import statistics
from pathlib import Path
from typing import Any

import pytest

from polygear.core.errors import InputError

from csv_profiler_app.main import metadata_summary, profile_table, write_report

DATA = Path(__file__).parents[2] / "data"
VISITS = DATA / "visits.csv"
LABS = DATA / "labs.tsv"
MISSING = {"", "na", "n/a", "nan", "null", "none"}
QUANTILE_INDEX = {"p05": 0, "p25": 4, "p50": 9, "p75": 14, "p95": 18}  # statistics.quantiles(n=20)


def raw_columns(path: Path, delimiter: str = ",") -> dict[str, list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    return {name: [row[i] for row in rows[1:]] for i, name in enumerate(rows[0])}


def present(values: list[str]) -> list[str]:
    return [v for v in values if v.strip().lower() not in MISSING]


def column(profile: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [c for c in profile["columns"] if c["name"] == name]
    assert len(matches) == 1
    return matches[0]


def write_csv(path: Path, header: list[str], rows: list[list[Any]], delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def correlation(profile: dict[str, Any], a: str, b: str) -> float | None:
    corr = profile["correlation"]
    value: float | None = corr["matrix"][corr["columns"].index(a)][corr["columns"].index(b)]
    return value


# ---------------------------------------------------------------------------------------------
# Types, missing values, exact statistics


def test_types_are_inferred_per_column() -> None:
    profile = profile_table(VISITS)
    assert profile["source"] == "visits.csv"
    assert profile["rows"] == 30
    assert {c["name"]: c["type"] for c in profile["columns"]} == {
        "subject_id": "string",
        "site": "string",
        "visit_date": "date",
        "visit_number": "integer",
        "age": "integer",
        "weight_kg": "float",
        "systolic_bp": "integer",
        "on_treatment": "boolean",
        "adverse_event": "boolean",
        "notes": "string",
    }


def test_missing_and_non_missing_counts_match_the_raw_file() -> None:
    profile = profile_table(VISITS)
    raw = raw_columns(VISITS)
    for name, values in raw.items():
        col = column(profile, name)
        expected_present = len(present(values))
        assert col["non_missing"] == expected_present, name
        assert col["missing"] == len(values) - expected_present, name
    # Spot checks, so that a bug shared with the helper above cannot hide: "", "NA", "N/A", "null".
    assert column(profile, "weight_kg")["missing"] == 3
    assert column(profile, "systolic_bp")["missing"] == 2
    assert column(profile, "adverse_event")["missing"] == 1
    assert column(profile, "notes")["missing"] == 16
    assert metadata_summary(profile)["missing_cells"] == 3 + 2 + 1 + 16 + 1  # + one missing visit_date


@pytest.mark.parametrize("name", ["age", "weight_kg", "systolic_bp", "visit_number"])
def test_numeric_statistics_are_exact_for_small_files(name: str) -> None:
    col = column(profile_table(VISITS), name)
    xs = [float(v) for v in present(raw_columns(VISITS)[name])]
    assert col["min"] == min(xs)
    assert col["max"] == max(xs)
    assert col["mean"] == pytest.approx(statistics.mean(xs), rel=1e-12)
    assert col["std"] == pytest.approx(statistics.stdev(xs), rel=1e-12)
    cuts = statistics.quantiles(xs, n=20, method="inclusive")
    assert col["quantiles_exact"] is True
    for key, index in QUANTILE_INDEX.items():
        assert col["quantiles"][key] == pytest.approx(cuts[index], rel=1e-12), key
    assert col["distinct"] == len(set(present(raw_columns(VISITS)[name])))
    assert col["distinct_exact"] is True
    hist = col["histogram"]
    assert hist["sampled"] is False
    assert sum(hist["counts"]) == len(xs)
    assert len(hist["edges"]) == len(hist["counts"]) + 1
    assert hist["edges"][0] <= min(xs) and hist["edges"][-1] >= max(xs)


def test_integer_min_max_stay_integers() -> None:
    col = column(profile_table(VISITS), "systolic_bp")
    assert (col["min"], col["max"]) == (117, 152)
    assert isinstance(col["min"], int) and isinstance(col["max"], int)


def test_top_values_dates_and_booleans() -> None:
    profile = profile_table(VISITS)
    site = column(profile, "site")
    assert site["top"] == [
        {"value": "Boston", "count": 13},
        {"value": "Chicago", "count": 11},
        {"value": "San Francisco", "count": 6},
    ]
    assert site["top_exact"] is True and site["distinct"] == 3
    assert column(profile, "adverse_event")["top"] == [{"value": "no", "count": 26}, {"value": "yes", "count": 3}]
    visit_date = column(profile, "visit_date")
    assert (visit_date["min"], visit_date["max"]) == ("2023-01-09", "2023-04-13")
    assert column(profile, "subject_id")["distinct"] == 9
    assert len(column(profile, "subject_id")["top"]) == 9
    assert len(profile_table(VISITS, top_n=2)["columns"][0]["top"]) == 2


def test_tsv_is_detected_by_extension() -> None:
    profile = profile_table(LABS)
    assert profile["rows"] == 12
    types = {c["name"]: c["type"] for c in profile["columns"]}
    assert types == {
        "sample_id": "string",
        "analyte": "string",
        "value": "float",
        "unit": "string",
        "collected": "date",
        "abnormal": "boolean",
    }
    value = column(profile, "value")
    xs = [float(v) for v in present(raw_columns(LABS, "\t")["value"])]
    assert value["missing"] == 1
    assert value["mean"] == pytest.approx(statistics.mean(xs), rel=1e-12)
    assert column(profile, "analyte")["top"][0] == {"value": "glucose", "count": 5}


@pytest.mark.parametrize(("name", "sep"), [("semicolon", ";"), ("pipe", "|"), ("tab", "\t"), ("comma", ",")])
def test_explicit_delimiters_give_the_same_profile(tmp_path: Path, name: str, sep: str) -> None:
    raw = raw_columns(VISITS)
    header = list(raw)
    rows = [list(r) for r in zip(*raw.values(), strict=False)]
    other = write_csv(tmp_path / "visits.txt", header, rows, delimiter=sep)
    expected = profile_table(VISITS)
    got = profile_table(other, delimiter=name)
    assert got["columns"] == expected["columns"]
    assert got["correlation"] == expected["correlation"]


def test_unknown_delimiter_is_a_config_error() -> None:
    with pytest.raises(InputError) as info:
        profile_table(VISITS, delimiter="colon")
    assert info.value.where == "config.delimiter"
    assert "found 'colon'" in info.value.message


def test_settings_are_validated() -> None:
    with pytest.raises(InputError) as info:
        profile_table(VISITS, sample_size=0)
    assert info.value.where == "config.sample_size"
    assert info.value.message == "expected an integer >= 1, found 0"


def test_type_widening_and_edge_values(tmp_path: Path) -> None:
    header = ["ints_then_float", "float_then_text", "zero_one", "bad_date", "infinite", "underscored", "mixed_case_na"]
    rows = [
        ["1", "1.5", "0", "2023-02-28", "1.0", "1000", "NA"],
        ["2", "2.5", "1", "2023-02-30", "inf", "1_000", "n/a"],
        ["3.25", "abc", "1", "2023-03-01", "2.0", "2000", "NULL"],
        ["-4", "", "0", "", "3.0", "3000", " None "],
    ]
    profile = profile_table(write_csv(tmp_path / "edge.csv", header, rows))
    types = {c["name"]: c["type"] for c in profile["columns"]}
    assert types == {
        "ints_then_float": "float",
        "float_then_text": "string",
        "zero_one": "integer",  # 0/1 is not boolean: it keeps its mean and correlations
        "bad_date": "string",  # 2023-02-30 does not exist
        "infinite": "string",  # inf cannot be summarised; it is text here
        "underscored": "string",  # int("1_000") works in Python, but it is not a number in a table
        "mixed_case_na": "string",
    }
    mixed = column(profile, "mixed_case_na")
    assert (mixed["missing"], mixed["non_missing"], mixed["top"]) == (4, 0, [])
    assert column(profile, "ints_then_float")["mean"] == pytest.approx(statistics.mean([1, 2, 3.25, -4]))
    assert profile["correlation"]["columns"] == ["ints_then_float", "zero_one"]


def test_type_widens_in_a_later_block(tmp_path: Path) -> None:
    # One column: blocks are 8192 rows, so the float arrives in the second block.
    rows = [[str(i)] for i in range(10_000)] + [["0.5"]]
    col = profile_table(write_csv(tmp_path / "late.csv", ["x"], rows))["columns"][0]
    assert col["type"] == "float"
    xs = [float(r[0]) for r in rows]
    assert col["mean"] == pytest.approx(statistics.mean(xs), rel=1e-12)
    assert col["std"] == pytest.approx(statistics.stdev(xs), rel=1e-12)
    text = [*rows, ["twelve"]]
    col = profile_table(write_csv(tmp_path / "late_text.csv", ["x"], text))["columns"][0]
    assert col["type"] == "string"
    assert "mean" not in col
    # 10,002 distinct > 10,000: sketches take over; all-unique values have no top value above the noise.
    assert col["distinct_exact"] is False and col["distinct"] == pytest.approx(10_002, rel=0.05)
    assert col["top"] == [] and col["top_exact"] is False


def test_padded_missing_tokens_in_text_columns(tmp_path: Path) -> None:
    rows = [["a b"], [" NA "], ["   "], ["c d"], ["Null"], ["a b"]]
    col = profile_table(write_csv(tmp_path / "pad.csv", ["note"], rows))["columns"][0]
    assert (col["type"], col["missing"], col["non_missing"], col["distinct"]) == ("string", 3, 3, 2)
    assert col["top"] == [{"value": "a b", "count": 2}, {"value": "c d", "count": 1}]


def test_all_missing_column_header_only_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "sparse.csv"
    path.write_text("id,empty\n1,\n\n2,NA\n\n3,\n", encoding="utf-8")
    profile = profile_table(path)
    assert (profile["rows"], profile["blank_lines_skipped"]) == (3, 2)
    empty = column(profile, "empty")
    assert (empty["type"], empty["missing"], empty["non_missing"], empty["distinct"]) == ("string", 3, 0, 0)
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n", encoding="utf-8")
    profile = profile_table(header_only)
    assert profile["rows"] == 0
    assert [c["non_missing"] for c in profile["columns"]] == [0, 0]
    json.dumps(profile, allow_nan=False)


def test_constant_float_column_has_zero_variance_not_rounding_noise(tmp_path: Path) -> None:
    # fsum([0.1] * 3) / 3 != 0.1: a constant needs exact zeros, or it "correlates" with noise.
    rows = [["0.1", str(i), "0.1" if i % 2 else "NA"] for i in range(20_003)]
    profile = profile_table(write_csv(tmp_path / "const.csv", ["c", "i", "c_sparse"], rows))
    c = column(profile, "c")
    assert (c["std"], c["mean"], c["min"], c["max"]) == (0.0, 0.1, 0.1, 0.1)
    assert column(profile, "c_sparse")["std"] == 0.0
    assert correlation(profile, "c", "i") is None
    assert correlation(profile, "c_sparse", "i") is None
    assert correlation(profile, "c", "c") is None
    tiny = profile_table(write_csv(tmp_path / "tiny.csv", ["c", "i"], [["0.1", "1"], ["0.1", "2"], ["0.1", "4"]]))
    assert correlation(tiny, "c", "i") is None


def test_single_value_and_constant_columns_have_no_nan(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", ["x", "c"], [["5", "7"]])
    profile = profile_table(path)
    x = column(profile, "x")
    assert (x["mean"], x["std"], x["quantiles"]["p50"]) == (5.0, None, 5.0)
    json.dumps(profile, allow_nan=False)  # raises on NaN or inf


# ---------------------------------------------------------------------------------------------
# Sketches: distinct counts, heavy hitters, reservoir


def test_distinct_count_becomes_approximate_beyond_the_bound(tmp_path: Path) -> None:
    rng = random.Random(7)
    values = [f"P{n:07d}" for n in rng.sample(range(10_000_000), 50_000)] + ["HEAVY"] * 5_000
    rng.shuffle(values)
    path = write_csv(tmp_path / "ids.csv", ["id", "n"], [[v, str(i % 3)] for i, v in enumerate(values)])
    profile = profile_table(path, max_exact_distinct=1000)
    col = column(profile, "id")
    assert col["distinct_exact"] is False
    assert col["distinct"] == pytest.approx(50_001, rel=0.05)
    assert col["top_exact"] is False
    top = col["top"][0]
    assert top["value"] == "HEAVY"
    # Misra-Gries counts are lower bounds, too low by at most top_count_error (<= N / (k + 1)).
    assert top["count"] <= 5_000 <= top["count"] + col["top_count_error"]
    assert col["top_count_error"] <= len(values) / 1001
    small = column(profile, "n")
    assert (small["distinct"], small["distinct_exact"]) == (3, True)


def test_reservoir_sample_when_values_exceed_sample_size(tmp_path: Path) -> None:
    # A trend in file order: a sampler that kept the first values (or favoured any part of the
    # file) would get the quantiles badly wrong.
    rng = random.Random(11)
    xs = [round(1000 * i / 30_000 + rng.uniform(-5, 5), 3) for i in range(30_000)]
    path = write_csv(tmp_path / "big.csv", ["x"], [[f"{x:.3f}"] for x in xs])
    col = profile_table(path, sample_size=2_000)["columns"][0]
    assert col["quantiles_exact"] is False
    assert col["histogram"]["sampled"] is True
    cuts = statistics.quantiles(xs, n=20, method="inclusive")
    for key, index in QUANTILE_INDEX.items():
        assert col["quantiles"][key] == pytest.approx(cuts[index], abs=40), key  # ~3.5 standard errors
    # Moments and extremes are streamed, so they stay exact whatever the sample size.
    assert (col["min"], col["max"]) == (min(xs), max(xs))
    assert col["mean"] == pytest.approx(statistics.mean(xs), rel=1e-12)
    assert col["std"] == pytest.approx(statistics.stdev(xs), rel=1e-12)
    counts = col["histogram"]["counts"]
    assert sum(counts) == len(xs)  # scaled to the full count
    assert all(abs(c - len(xs) / 20) < 0.25 * len(xs) / 20 for c in counts)  # uniform data: flat bars
    exact = profile_table(path, sample_size=30_000)["columns"][0]
    assert exact["quantiles_exact"] is True
    assert exact["quantiles"]["p25"] == pytest.approx(cuts[4], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Correlation


def test_correlation_perfect_negative_and_undefined(tmp_path: Path) -> None:
    rows = [[str(x), str(2 * x + 3), str(-x), "4", str(x % 2) if x != 3 else ""] for x in range(10)]
    profile = profile_table(write_csv(tmp_path / "corr.csv", ["x", "y", "z", "const", "parity"], rows))
    assert profile["correlation"]["columns"] == ["x", "y", "z", "const", "parity"]
    assert correlation(profile, "x", "y") == pytest.approx(1.0, abs=1e-12)
    assert correlation(profile, "y", "x") == correlation(profile, "x", "y")
    assert correlation(profile, "x", "z") == pytest.approx(-1.0, abs=1e-12)
    assert correlation(profile, "x", "x") == 1.0
    assert correlation(profile, "x", "const") is None  # zero variance
    assert correlation(profile, "const", "const") is None
    xs = [float(x) for x in range(10) if x != 3]
    ps = [float(x % 2) for x in range(10) if x != 3]
    assert correlation(profile, "x", "parity") == pytest.approx(statistics.correlation(xs, ps), rel=1e-12)
    n = profile["correlation"]["n"]
    assert n[0][4] == 9 and n[0][1] == 10


def test_correlation_undefined_with_fewer_than_two_rows(tmp_path: Path) -> None:
    profile = profile_table(write_csv(tmp_path / "short.csv", ["a", "b"], [["1", "2"], ["3", ""], ["", "5"]]))
    assert correlation(profile, "a", "b") is None
    assert profile["correlation"]["n"][0][1] == 1


def test_correlation_matches_statistics_on_real_data() -> None:
    profile = profile_table(VISITS)
    raw = raw_columns(VISITS)
    for a, b in [("weight_kg", "systolic_bp"), ("age", "weight_kg"), ("visit_number", "systolic_bp")]:
        pairs = [
            (float(x), float(y))
            for x, y in zip(raw[a], raw[b], strict=False)
            if x.strip().lower() not in MISSING and y.strip().lower() not in MISSING
        ]
        expected = statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs])
        assert correlation(profile, a, b) == pytest.approx(expected, rel=1e-9), (a, b)


def test_streamed_statistics_across_many_blocks_with_missing(tmp_path: Path) -> None:
    # 3 columns -> 8192-row blocks: the 25k rows exercise the block merges, offsets included.
    rng = random.Random(3)
    rows = []
    for _ in range(25_000):
        x = rng.gauss(1e6, 2.0)
        y = 0.5 * x + rng.gauss(0, 1.0)
        rows.append([f"{x:.6f}" if rng.random() > 0.05 else "", f"{y:.6f}" if rng.random() > 0.1 else "NA", "k"])
    profile = profile_table(write_csv(tmp_path / "blocks.csv", ["x", "y", "k"], rows))
    pairs = [(float(x), float(y)) for x, y, _ in rows if x and y != "NA"]
    expected = statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs])
    assert correlation(profile, "x", "y") == pytest.approx(expected, rel=1e-9)
    assert profile["correlation"]["n"][0][1] == len(pairs)
    xs = [float(r[0]) for r in rows if r[0]]
    x_col = column(profile, "x")
    assert x_col["mean"] == pytest.approx(statistics.mean(xs), rel=1e-14)
    assert x_col["std"] == pytest.approx(statistics.stdev(xs), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Errors


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        profile_table(path)
    assert info.value.where == "empty.csv"
    assert info.value.message == "file is empty: expected a header row"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_ragged_row_names_its_physical_line(tmp_path: Path, eol: str) -> None:
    # Line 3 holds a quoted line break and line 5 is blank, so the ragged row is on line 7.
    path = tmp_path / "ragged.csv"
    text = 'a,b,c\n1,2,3\n4,"two\nlines",6\n\n7,8,9\n10,11\n12,13,14\n'.replace("\n", eol)
    path.write_bytes(text.encode())
    with pytest.raises(InputError) as info:
        profile_table(path)
    assert info.value.where == "ragged.csv:7"
    assert info.value.message == "ragged row: expected 3 fields like the header, found 2"


def test_non_utf8_byte_is_located_exactly(tmp_path: Path) -> None:
    # Far past the text decoder's first 8 KiB chunk, so the csv reader's count would be wrong.
    lines = [b"id,city"] + [b"%d,Boston" % i for i in range(1, 2000)]
    lines[1500] = b"1500,Z\xfcrich"  # latin-1 u-umlaut
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError) as info:
        profile_table(path)
    assert info.value.where == "latin1.csv:1501"
    assert info.value.message.startswith("not valid UTF-8 (byte 0xfc)")


def test_duplicate_header_names(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,score,site,score\n1,2,x,3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        profile_table(path)
    assert info.value.where == "dup.csv:1"
    assert "duplicate column name 'score' (columns 2 and 4)" in info.value.message


def test_utf8_bom_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,size\n1,2\n".encode())
    assert [c["name"] for c in profile_table(path)["columns"]] == ["id", "size"]


# ---------------------------------------------------------------------------------------------
# Report and summary


def test_write_report_files_and_html(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "escape.csv",
        ["<script>", "label", "weight"],
        [[str(i), "<b>bold</b>" if i % 2 else "a&b", f"{i * 1.5:.1f}"] for i in range(20)],
    )
    profile = profile_table(source)
    out = tmp_path / "out"
    paths = write_report(profile, out, "escape")
    assert paths == [out / "escape_profile.json", out / "escape_profile.html"]
    assert sorted(p.name for p in out.iterdir()) == ["escape_profile.html", "escape_profile.json"]  # no temps left
    assert json.loads(paths[0].read_text(encoding="utf-8")) == profile
    page = paths[1].read_text(encoding="utf-8")
    numeric = [c for c in profile["columns"] if c["type"] in ("integer", "float")]
    assert len(numeric) == 2
    assert page.count('<img src="data:image/png;base64,iVBOR') == len(numeric)  # iVBOR: PNG signature
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "a&amp;b" in page


def test_report_for_visits_has_one_histogram_per_numeric_column(tmp_path: Path) -> None:
    profile = profile_table(VISITS)
    _, html_path = write_report(profile, tmp_path, "visits")
    page = html_path.read_text(encoding="utf-8")
    assert page.count('<img src="data:image/png;base64,') == 4
    assert "<h2>Correlations" in page and page.count("<td class=num style=") == 16


def test_metadata_summary() -> None:
    summary = metadata_summary(profile_table(LABS))
    assert summary == {
        "rows": 12,
        "columns": 6,
        "column_types": {
            "sample_id": "string",
            "analyte": "string",
            "value": "float",
            "unit": "string",
            "collected": "date",
            "abnormal": "boolean",
        },
        "missing_cells": 2,
    }
    assert math.isfinite(summary["rows"])


def test_a_single_huge_integer_gets_one_histogram_bar(tmp_path: Path) -> None:
    """123456789012345678901234567890 +- 0.5 is the same float: the bar must not divide by zero."""
    table = tmp_path / "huge.csv"
    table.write_text("id,n\na,123456789012345678901234567890\nb,123456789012345678901234567890\n")
    profile = profile_table(table)
    column = next(c for c in profile["columns"] if c["name"] == "n")
    assert (column["type"], column["histogram"]["counts"]) == ("integer", [2])


@pytest.mark.parametrize(
    ("stem", "names"), [(".", ["_profile.html", "_profile.json"]), ("..", ["_profile.html", "_profile.json"])]
)
def test_inputs_named_dot_csv_give_visible_report_names(tmp_path: Path, stem: str, names: list[str]) -> None:
    """`..csv` has the stem "." : the report must not be a hidden `._profile.json` (nor crash)."""
    written = write_report(profile_table(LABS), tmp_path / "out", stem=stem)
    assert sorted(p.name for p in written) == names
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names


# ---------------------------------------------------------------------------------------------
# Skewness and duplicate rows


def skewness(xs: list[float]) -> float:
    """Fisher-Pearson g1 = m3 / m2**1.5 with population moments, from exact sums."""
    n = len(xs)
    mean = math.fsum(xs) / n
    m2 = math.fsum((x - mean) ** 2 for x in xs) / n
    m3 = math.fsum((x - mean) ** 3 for x in xs) / n
    return m3 / m2**1.5


@pytest.mark.parametrize("name", ["age", "weight_kg", "systolic_bp", "visit_number"])
def test_skewness_of_the_fixture(name: str) -> None:
    xs = [float(v) for v in present(raw_columns(VISITS)[name])]
    assert column(profile_table(VISITS), name)["skewness"] == pytest.approx(skewness(xs), rel=1e-9, abs=1e-12)


def test_skewness_streams_across_blocks_and_is_none_without_shape(tmp_path: Path) -> None:
    rng = random.Random(13)
    xs = [round(rng.lognormvariate(3, 0.8), 4) for _ in range(30_000)]  # long right tail
    rows = [[f"{x}", "5", str(i) if i < 2 else "NA"] for i, x in enumerate(xs)]
    profile = profile_table(write_csv(tmp_path / "skew.csv", ["x", "const", "two"], rows))
    assert column(profile, "x")["skewness"] == pytest.approx(skewness(xs), rel=1e-9)
    assert column(profile, "x")["skewness"] > 1
    assert column(profile, "const")["skewness"] is None  # no spread
    assert column(profile, "two")["skewness"] is None  # fewer than three values
    assert "skewness" not in column(profile_table(VISITS), "site")  # numeric columns only


def test_duplicate_rows_count_repeated_field_values(tmp_path: Path) -> None:
    # Same field values, however quoted, are the same row; blank lines are not rows.
    path = tmp_path / "dups.csv"
    path.write_text('a,b\n1,x\n1,"x"\n2,x\n\n1,x\n2,"y,z"\n2,"y,z"\n3,\n3,""\n', encoding="utf-8")
    rows = [tuple(r) for r in csv.reader(path.open(encoding="utf-8", newline=""))][1:]
    rows = [r for r in rows if r]
    profile = profile_table(path)
    assert profile["duplicate_rows"] == {"count": len(rows) - len(set(rows)), "exact": True}
    assert profile["duplicate_rows"]["count"] == 4
    assert profile_table(VISITS)["duplicate_rows"] == {"count": 0, "exact": True}


def test_duplicate_rows_across_blocks(tmp_path: Path) -> None:
    rng = random.Random(2)
    rows = [[str(rng.randrange(5_000)), rng.choice("ab")] for _ in range(30_000)]
    profile = profile_table(write_csv(tmp_path / "many.csv", ["k", "c"], rows))
    assert profile["duplicate_rows"] == {"count": len(rows) - len({tuple(r) for r in rows}), "exact": True}


def test_missing_tokens_padded_with_any_whitespace(tmp_path: Path) -> None:
    # str.strip() strips the no-break space and \x1c-\x1f too: "\xa0NA" is missing, and the column
    # stays numeric (the streaming engine used to test only ASCII padding while typing a block).
    rows = [["1", "a"], ["\xa0NA", "b"], ["2", "\x1cnull\u3000"], [" 3 ", "c"]]
    profile = profile_table(write_csv(tmp_path / "pad.csv", ["n", "s"], rows))
    n = column(profile, "n")
    assert (n["type"], n["missing"], n["min"], n["max"]) == ("integer", 1, 1, 3)
    assert column(profile, "s")["missing"] == 1
    streaming = profile_table(tmp_path / "pad.csv", engine="streaming")
    assert streaming["columns"] == profile["columns"]
