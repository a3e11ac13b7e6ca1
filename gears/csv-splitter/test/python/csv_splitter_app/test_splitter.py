from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from polygear.core.errors import InputError

from csv_splitter_app.main import safe_value, split_csv

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


# Hostile-input review: one regression test (or parametrised group) per class of bug.


def test_values_differing_only_in_case_get_distinct_files(tmp_path: Path) -> None:
    """macOS and Windows ignore case: `Boston` and `boston` must not share one file there."""
    res = split_csv(DATA / "visits_case.csv", tmp_path, column="site")
    assert res.files == {
        "Boston": "visits_case_Boston.csv",
        "boston": "visits_case_boston-2.csv",
        "BOSTON": "visits_case_BOSTON-3.csv",
    }
    assert len({name.casefold() for name in res.files.values()}) == 3
    assert read_rows(tmp_path / "visits_case_boston-2.csv") == [
        ["subject", "site", "visit"],
        ["S002", "boston", "1"],
        ["S002", "boston", "2"],
    ]
    assert res.counts == {"Boston": 2, "boston": 2, "BOSTON": 1}


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{value:.<300}", "field {value:.<300} has a format spec; use the plain field {value}"),
        ("{stem}_{value:>5}{suffix}", "field {value:>5} has a format spec; use the plain field {value}"),
        ("{value!r}{suffix}", "field {value!r} has a conversion; use the plain field {value}"),
        ("{value}\x00.csv", "pattern contains the control character U+0000 (character 8); remove it"),
        ("{value}\n.csv", "pattern contains the control character U+000A (character 8); remove it"),
        ("\x1b[31m{value}.csv", "pattern contains the control character U+001B (character 1); remove it"),
        (
            ".{value}.csv",
            "pattern '.{value}.csv' starts with a dot, which makes hidden files (and could overwrite .metadata.json)",
        ),
        (
            ".metadata{value}.json",
            "pattern '.metadata{value}.json' starts with a dot, which makes hidden files "
            "(and could overwrite .metadata.json)",
        ),
    ],
)
def test_hostile_output_pattern_is_refused_before_reading(tmp_path: Path, pattern: str, message: str) -> None:
    """Config-time: the input is not even opened (it does not exist here) and no output folder appears."""
    out = tmp_path / "out"
    with pytest.raises(InputError) as err:
        split_csv(tmp_path / "missing.csv", out, column="site", output_pattern=pattern)
    assert (err.value.where, err.value.message) == ("config.output_pattern", message)
    assert not out.exists()


def test_long_names_are_capped_stably_and_stay_distinct(tmp_path: Path) -> None:
    """A 244-byte input name plus a 100-character value: capped at 255 bytes, `.csv` kept, a hash of
    the full name added, so two values sharing a long prefix stay apart and reruns agree."""
    src = tmp_path / ("s" * 240 + ".csv")
    values = ["v" * 99 + "1", "v" * 99 + "2"]
    src.write_text("id,k\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values * 2)), encoding="utf-8")
    first = split_csv(src, tmp_path / "a", column="k")
    again = split_csv(src, tmp_path / "b", column="k")
    assert first.files == again.files
    for value in values:
        full = "s" * 240 + "_" + value + ".csv"
        expected = "s" * 240 + "-" + hashlib.sha256(full.encode()).hexdigest()[:10] + ".csv"
        assert first.files[value] == expected and len(expected.encode()) == 255
        assert [r[1] for r in read_rows(tmp_path / "a" / expected)[1:]] == [value, value]


def test_duplicated_key_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        split_csv(DATA / "visits_dup_site.csv", tmp_path / "out", column="site")
    assert (err.value.where, err.value.message) == (
        "config.column",
        "column 'site' appears more than once in the header of visits_dup_site.csv (positions 2 and 3); "
        "rename one of them",
    )
    src = tmp_path / "three.csv"
    src.write_text("k,a,k,k\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\(positions 1, 3 and 4\); rename all but one of them$"):
        split_csv(src, tmp_path / "out3", column="k")
    # Other duplicated columns are not the key: still fine.
    src.write_text("a,a,k\n1,2,x\n", encoding="utf-8")
    assert split_csv(src, tmp_path / "ok", column="k").files == {"x": "three_x.csv"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("..csv", {"Boston": "_Boston.csv", "Chicago": "_Chicago.csv", "San Francisco": "_San_Francisco.csv"}),
        ("...json", {"Boston": "_Boston.json", "Chicago": "_Chicago.json", "San Francisco": "_San_Francisco.json"}),
        (".csv", {"Boston": "csv_Boston.csv", "Chicago": "csv_Chicago.csv", "San Francisco": "csv_San_Francisco.csv"}),
    ],
)
def test_dot_named_inputs_give_visible_names(tmp_path: Path, name: str, expected: dict[str, str]) -> None:
    """`Path("..csv").stem == "."`: the names were `._Boston.csv`, hidden (and `...json` gave `.._Boston.json`)."""
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes((DATA / "visits.csv").read_bytes())
    res = split_csv(src, tmp_path / "out", column="site", delimiter="comma")
    assert res.files == expected
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(expected.values())


def test_dot_stem_cannot_make_metadata_json(tmp_path: Path) -> None:
    """`..csv` + `{stem}{value}.json` + value `metadata` gave `.metadata.json`, which Flywheel would apply."""
    src = tmp_path / "..csv"
    src.write_text("id,k\n1,metadata\n", encoding="utf-8")
    assert split_csv(src, tmp_path / "out", column="k", output_pattern="{stem}{value}.json").files == {
        "metadata": "metadata.json"
    }
