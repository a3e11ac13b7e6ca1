"""The batched engine (polars) against the streaming engine (csv module, the reference) on the same
files: the same profile to the last bit on files within one streaming block (8192 rows), the same
within rounding beyond (and within their error bounds for estimates); or, for anything it cannot
promise to read as the csv module does, `Unsupported`, and then `profile_table` hands the file to
the streaming engine, which gives its own result or error."""

from __future__ import annotations

import csv
import io
import logging
import math
import random
import string
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from polygear.core.errors import InputError
from polygear.dev.benchmarks import generate_visits_csv

from csv_profiler_app.batched import profile_batched
from csv_profiler_app.duplicates import RowDuplicates
from csv_profiler_app.main import Unsupported, profile_streaming, profile_table

DATA = Path(__file__).parents[2] / "data"

# Files both engines read, in one block: the profiles must be identical.
SAME = {
    "crlf_bom.csv": '\ufeffid,text,n\r\n1,"a, b",3\r\n2,"multi\r\nline",4\r\n3,"say ""hi""",5\r\n4,,\r\n',
    "quoted_line_breaks.csv": 'id,text,n\n1,"a\nb",3\n2,"x\r\ny",4\n3,"",5\n4,"""q""",6\n5,"x\ry",7\n',
    "blank_lines.csv": "a,b\n1,2\n\n3,4\n\n\n5,6\n\n",
    "blank_lines_crlf.csv": "a,b\r\n1,2\r\n\r\n3,4\r\n\r\n",
    "one_column_blank_lines.csv": 'x\n1\n\n""\n2\n\nNA\n',
    "padded.csv": "a,b,c,d\n NA ,\x1cnull\x1c, 5 ,\xa0NA\n\tNone\t,x,+7,1\n, , 007 ,2\n",
    "numbers.csv": "i,f,s,e,u,big,neg0,m\n1,1.5,1e151,1e400,1_000,1e150,-0,-0.0\n+2,.5,2,3,2,-1e150,0,1\n"
    "003,5.,3,4,3,1,-0,2\n-4,-1E5,4,5,4,2,0,3\n",
    "non_ascii_digits.csv": "a,b\n\u0661,1\n2,2\n",
    "booleans.csv": "a,b,c\nTrue,yes, NO \nfalse,No,yes\nTRUE,YES,\n",
    "dates.csv": "a,b,c,d\n2023-01-01,0000-01-01,2023-02-30, 2023-01-01\n2024-12-31,2023-01-01,2023-03-01,2023-01-02\n",
    "no_final_line_break.csv": "a,b\n1,2\n3,4",
    "no_final_line_break_quoted.csv": 'a,b\n1,2\n3,"x\ny"',
    "header_only.csv": "a,b\n",
    "header_only_no_line_break.csv": "a,b",
    "quoted_header.csv": '"a,1","b\nc",d\n1,2,3\n',
    "nul.csv": "a,b\n1,x\x00y\n2,z\n",
    "duplicates.csv": 'a,b\n1,2\n1,2\n1,"2"\n3,4\n1,2\n3,\n3,""\n',
    "constant.csv": "a,b,c\n0.1,1,5\n0.1,2,5\n0.1,4,5\n",
    "trailing_delimiter.csv": "a,b,\n1,2,\n3,4,\n",
    "empty_header_name.csv": "a,,c\n1,2,3\n",
    "big_int_in_a_float_column.csv": "a,b\n1.5,1\n12345678901234567890,2\n",
    "huge_magnitudes.csv": "a,b,c\n1e150,-1e150,1\n-1e150,1e150,2\n1e149,3,3\n",
    "tabs.tsv": 'a\tb\n"x\ty"\t1\n"p""q"\t2\n',
}
# Files the batched engine refuses; the streaming engine reads them or raises their error.
HANDED_OVER = {
    "lone_carriage_returns.csv": "a,b\r1,2\r3,4\r",
    "quote_inside_a_field.csv": 'a,b\n1,x"y\n2,z\n',
    "text_after_a_closing_quote.csv": 'a,b\n1,"x"y\n2,z\n',
    "space_before_a_quote.csv": 'a,b\n1, "x"\n2,z\n',
    "unclosed_quote.csv": 'a,b\n1,"x\n2,z\n',
    "short_row.csv": "a,b,c\n1,2,3\n4,5\n",
    "long_row.csv": "a,b,c\n1,2,3\n4,5,6,7\n",
    "spaces_only_line.csv": "a,b\n1,2\n   \n3,4\n",
    "empty.csv": "",
    "bom_only.csv": "\ufeff",
    "blank_first_line.csv": "\na,b\n1,2\n",
    "duplicate_names.csv": "a,a\n1,2\n",
    "integers_beyond_64_bits.csv": "a,b\n12345678901234567890,1\n2,2\n",
    "bom_inside.csv": "a,b\n\ufeffx,1\n",
}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def sep_of(path: Path) -> str:
    return "\t" if path.suffix == ".tsv" else ","


def both(path: Path, block_bytes: int | None = None, **settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    config = {"max_exact_distinct": 10000, "top_n": 10, "sample_size": 100_000, "bins": 20} | settings
    extra = {} if block_bytes is None else {"block_bytes": block_bytes}
    batched = profile_batched(path, sep_of(path), *config.values(), **extra)
    streaming = profile_streaming(path, sep_of(path), *config.values())
    return batched, streaming


@pytest.mark.parametrize("name", sorted(SAME))
def test_same_profile_to_the_last_bit(tmp_path: Path, name: str) -> None:
    batched, streaming = both(write(tmp_path, name, SAME[name]))
    assert batched == streaming


@pytest.mark.parametrize("name", ["visits.csv", "labs.tsv"])
def test_fixtures_same_profile(name: str) -> None:
    batched, streaming = both(DATA / name)
    assert batched == streaming


@pytest.mark.parametrize("name", sorted(HANDED_OVER))
def test_handed_over_with_the_reference_result_or_error(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, HANDED_OVER[name])
    with pytest.raises(Unsupported):
        profile_table(path, engine="batched")
    try:
        expected: Any = profile_table(path, engine="streaming")
    except InputError as exc:
        with pytest.raises(InputError) as info:
            profile_table(path)
        assert (info.value.where, info.value.message) == (exc.where, exc.message)
    else:
        assert profile_table(path) == expected


def test_non_utf8_is_handed_over_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.csv", b"id,city\n1,Boston\n2,Z\xfcrich\n")
    with pytest.raises(Unsupported):
        profile_table(path, engine="batched")
    with pytest.raises(InputError) as info:
        profile_table(path)
    assert info.value.where == "latin1.csv:3"


def test_the_engine_that_ran_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="csv_profiler_app.main")
    profile_table(DATA / "visits.csv")
    profile_table(write(tmp_path, "cr.csv", "a,b\r1,2\r"))
    messages = [r.getMessage() for r in caplog.records]
    assert "csv-profiler: batched engine for visits.csv" in messages
    assert any(m.startswith("csv-profiler: streaming engine for cr.csv (") for m in messages)


def close(a: Any, b: Any, where: str = "") -> None:
    """Equal, except floats: within rounding of sums taken in another order."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def estimates_apart(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile without its estimated figures (which the engines sketch from other blocks)."""
    out = dict(profile)
    columns = []
    for col in profile["columns"]:
        col = dict(col)
        if not col["distinct_exact"]:
            col.pop("distinct")
        if not col.get("top_exact", True):
            col.pop("top"), col.pop("top_count_error")
        if not col.get("quantiles_exact", True):
            col.pop("quantiles"), col.pop("histogram")
        columns.append(col)
    out["columns"] = columns
    return out


def test_many_blocks_agree_within_rounding(tmp_path: Path) -> None:
    """~2 MB in 64 KiB blocks: block merges, type widening across blocks, sketches beyond 1000."""
    path = tmp_path / "visits.csv"
    generate_visits_csv(path, 2)
    batched, streaming = both(path, block_bytes=64 * 1024, max_exact_distinct=1000, sample_size=5000)
    close(estimates_apart(batched), estimates_apart(streaming))
    for got, want in zip(batched["columns"], streaming["columns"], strict=True):
        if not want["distinct_exact"]:  # both HyperLogLog estimates within ~4 standard errors
            assert got["distinct"] == pytest.approx(want["distinct"], rel=0.1), got["name"]
        if "quantiles" in want and not want["quantiles_exact"]:
            spread = want["max"] - want["min"]
            for key, value in want["quantiles"].items():
                assert got["quantiles"][key] == pytest.approx(value, abs=0.1 * spread), (got["name"], key)
    assert batched["duplicate_rows"] == streaming["duplicate_rows"] == {"count": 0, "exact": True}


def test_many_numeric_columns_correlate_alike(tmp_path: Path) -> None:
    """Beyond six numeric columns the batched engine takes every pair's sums from one matrix."""
    rng = random.Random(4)
    rows = [
        [f"{rng.gauss(0, 1) + j * 0.1 * (i % 7):.5f}" if rng.random() > 0.05 else "" for j in range(10)]
        for i in range(20_000)
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([[f"x{j}" for j in range(10)], *rows])
    batched, streaming = both(write(tmp_path, "wide.csv", buf.getvalue()), block_bytes=100_000)
    close(estimates_apart(batched), estimates_apart(streaming))


def test_misra_gries_bounds_hold_in_both_engines(tmp_path: Path) -> None:
    rng = random.Random(5)
    values = [f"v{rng.randrange(3000)}" for _ in range(40_000)] + ["HOT"] * 3000 + ["WARM"] * 1500
    rng.shuffle(values)
    path = tmp_path / "skew.csv"
    path.write_text("v\n" + "\n".join(values) + "\n", encoding="utf-8")
    truth = {v: values.count(v) for v in ("HOT", "WARM")}
    for profile in both(path, block_bytes=16 * 1024, max_exact_distinct=100):
        col = profile["columns"][0]
        assert (col["distinct_exact"], col["top_exact"]) == (False, False)
        top = {t["value"]: t["count"] for t in col["top"]}
        for value, count in truth.items():  # lower bounds, too low by at most the error
            assert top[value] <= count <= top[value] + col["top_count_error"], value
        assert col["distinct"] == pytest.approx(3002, rel=0.1)


def random_table(rng: random.Random, breaks: str) -> tuple[list[str], list[list[str]]]:
    """Columns of one flavour each (integers, floats, booleans, dates, text, mixed), with missing
    spellings, padding, quotes, delimiters and `breaks` (line break characters) inside fields."""
    flavours = {
        "int": lambda: str(rng.randint(-(10**6), 10**6)),
        "float": lambda: rng.choice([f"{rng.uniform(-1e3, 1e3):.4f}", f"{rng.random():.3e}", str(rng.randint(0, 9))]),
        "bool": lambda: rng.choice(["true", "False", "YES", "no", " yes "]),
        "date": lambda: f"20{rng.randint(10, 30)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "text": lambda: "".join(
            rng.choice(string.ascii_letters + ' ,"\u00e9' + breaks) for _ in range(rng.randint(1, 8))
        ),
        "few": lambda: rng.choice(["a", "b", "c", "d,e", '"q"']),
        "padded": lambda: rng.choice([" 7", "8 ", "\t9", "10"]),
    }
    missing = ["", "NA", "n/a", "NULL", " none ", "NaN", "\u00a0na"]
    names = rng.sample(sorted(flavours), rng.randint(1, 6))
    rows = []
    for _ in range(rng.randint(0, 300)):
        rows.append([rng.choice(missing) if rng.random() < 0.1 else flavours[n]() for n in names])
    return names, rows


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_same_profile(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    # csv.writer quotes fields holding the line terminator's characters: with "\n" alone, a "\r"
    # in a field would be written bare, a line break to the csv module (and refused: see above).
    terminator = rng.choice(["\n", "\r\n"])
    names, rows = random_table(rng, terminator)
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if seed % 4 == 1 else csv.QUOTE_MINIMAL
    csv.writer(buf, lineterminator=terminator, quoting=quoting).writerows([names, *rows])
    path = write(tmp_path, f"t{seed}.csv", ("\ufeff" if seed % 3 == 0 else "") + buf.getvalue())
    batched, streaming = both(path)
    assert batched == streaming


@pytest.mark.parametrize("seed", range(25, 40))
def test_random_tables_in_tiny_blocks_agree_within_rounding(tmp_path: Path, seed: int) -> None:
    """Blocks of a few rows: types widen, sketches start and blank lines fall at other blocks."""
    rng = random.Random(seed)
    names, rows = random_table(rng, "\r\n")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([names, *rows])
    path = write(tmp_path, f"t{seed}.csv", buf.getvalue() + "\r\n" * (seed % 2))
    batched, streaming = both(path, block_bytes=256, max_exact_distinct=50)
    close(estimates_apart(batched), estimates_apart(streaming))


def test_polars_casts_accept_what_int_and_float_accept() -> None:
    """The batched engine asks polars' casts whether a cell is a number: they must accept exactly
    what int() and float() accept in unpadded, '_'-free ASCII (what the reference lets through)."""
    rng = random.Random(1)
    alphabet = [*"0123456789+-.eE_xXabfinINFtT ", "inf", "nan", "Infinity", "0x", "\u0661"]
    samples = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(40_000)})
    plain = [s for s in samples if s.isascii() and "_" not in s and s == s.strip()]

    def accepts(convert: Any, text: str) -> bool:
        try:
            convert(text)
        except ValueError:
            return False
        return True

    floats = pl.Series(plain).cast(pl.Float64, strict=False).is_not_null().to_list()
    ints = pl.Series(plain).cast(pl.Int64, strict=False).is_not_null().to_list()
    assert [s for s, ok in zip(plain, floats, strict=True) if ok != accepts(float, s)] == []
    assert [s for s, ok in zip(plain, ints, strict=True) if ok != accepts(int, s)] == []


def test_duplicate_rows_estimate_beyond_the_bound() -> None:
    """Past `max_kept` the count is estimated from a hash sample: flagged, and close."""
    rng = random.Random(9)
    distinct = [rng.getrandbits(64) for _ in range(60_000)]
    hashes = [h for h in distinct for _ in range(rng.choice([1, 1, 2, 3]))]
    rng.shuffle(hashes)
    sketch = RowDuplicates(max_kept=20_000)
    for i in range(0, len(hashes), 7_000):
        sketch.add(np.array(hashes[i : i + 7_000], dtype=np.uint64))
    result = sketch.result()
    assert result["exact"] is False
    assert result["count"] == pytest.approx(len(hashes) - len(distinct), rel=0.1)
