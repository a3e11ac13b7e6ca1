from __future__ import annotations

import csv
from pathlib import Path

import pytest
from csv_splitter_app.main import safe_value, split_csv
from polygear.core.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data"


def read_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_one_file_per_value_with_header_and_rows_in_order(tmp_path: Path) -> None:
    result = split_csv(DATA / "visits.csv", tmp_path, column="site")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "visits_Boston.csv",
        "visits_Chicago.csv",
        "visits_San_Francisco.csv",
    ]
    assert read_rows(tmp_path / "visits_Boston.csv") == [
        ["subject", "site", "visit", "score"],
        ["S001", "Boston", "1", "12.5"],
        ["S003", "Boston", "1", "11.25"],
        ["S001", "Boston", "2", "13.0"],
    ]
    assert result.rows == 7
    assert result.counts == {"Boston": 3, "Chicago": 2, "San Francisco": 2}


def test_drop_key_column_and_custom_pattern(tmp_path: Path) -> None:
    split_csv(
        DATA / "visits.csv", tmp_path, column="site", keep_key_column=False, output_pattern="{column}-{value}.csv"
    )
    assert read_rows(tmp_path / "site-Chicago.csv") == [
        ["subject", "visit", "score"],
        ["S002", "1", "9.0"],
        ["S005", "2", "8.5"],
    ]


def test_tsv_is_detected_and_written_as_tsv(tmp_path: Path) -> None:
    split_csv(DATA / "visits.tsv", tmp_path, column="site")
    assert read_rows(tmp_path / "visits_A.tsv", "\t") == [
        ["subject", "site", "visit"],
        ["S1", "A", "1"],
        ["S3", "A", "2"],
    ]


def test_few_open_files_still_gives_complete_outputs(tmp_path: Path) -> None:
    rows = [["id", "key"]] + [[str(i), f"k{i % 7}"] for i in range(200)]
    src = tmp_path / "many.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "out"
    split_csv(src, out, column="key", max_open_files=2)
    for k in range(7):
        got = read_rows(out / f"many_k{k}.csv")
        assert got[0] == ["id", "key"]
        assert [r[0] for r in got[1:]] == [str(i) for i in range(200) if i % 7 == k]


def test_values_that_sanitise_alike_get_distinct_files(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("k,v\na/b,1\na_b,2\n", encoding="utf-8")
    res = split_csv(src, tmp_path / "o", column="k")
    assert res.files == {"a/b": "t_a_b.csv", "a_b": "t_a_b-2.csv"}
    assert safe_value("  ") == "_empty_"


@pytest.mark.parametrize(
    ("name", "column", "where", "fragment"),
    [
        ("visits.csv", "clinic", "config.column", "column 'clinic' not found"),
        ("ragged.csv", "site", "ragged.csv:4", "expected 3 fields like the header, found 2"),
        ("empty.csv", "site", "empty.csv", "file is empty"),
        ("latin1.csv", "site", "latin1.csv:3", "not valid UTF-8 (byte 0xfc)"),
    ],
)
def test_bad_input_names_the_place(tmp_path: Path, name: str, column: str, where: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        split_csv(DATA / name, tmp_path, column=column)
    assert err.value.where == where
    assert fragment in err.value.message


def test_pattern_must_contain_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must contain"):
        split_csv(DATA / "visits.csv", tmp_path, column="site", output_pattern="{stem}.csv")
    with pytest.raises(InputError, match="unknown field"):
        split_csv(DATA / "visits.csv", tmp_path, column="site", output_pattern="{value}{nope}")
