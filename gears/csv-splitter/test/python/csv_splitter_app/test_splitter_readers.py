"""Both readers (vectorised, streaming) on the same fixtures: the same bytes, the same errors.

Expected outputs are built from the raw rows listed here (each row's bytes as written), never from
either reader's output. The vectorised reader also runs with tiny blocks, so that rows, quoted line
breaks and CRLFs straddle block boundaries and blocks must grow to hold one row.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from polygear.core.errors import InputError

from csv_splitter_app import vectorised
from csv_splitter_app.main import split_csv

DATA = Path(__file__).resolve().parents[2] / "data"
BOM = b"\xef\xbb\xbf"
HEADER = b"subject,site,visit,note\r\n"
# tricky.csv, row by row: (key value, the row's bytes)
TRICKY = [
    ("Boston", b'S001,Boston,1,"note, with a comma"\r\n'),
    ("Chicago", b'S002,"Chicago",1,""\r\n'),
    ("Boston", b'S003,Boston,2,"two\r\nlines"\r\n'),
    ('San "Fran", CA', b'S004,"San ""Fran"", CA",1,\r\n'),
    (None, b"\r\n"),  # a blank line: skipped
    ("", b"S005,,3,empty key\r\n"),
    ("Chicago", b'S006,"Chicago",,"quoted ""inner"" quotes"\r\n'),
    ("Boston", b'S007,Boston,4,"last row, no line ending"'),
]
FILES = {
    "Boston": "tricky_Boston.csv",
    "Chicago": "tricky_Chicago.csv",
    'San "Fran", CA': "tricky_San_Fran_CA.csv",
    "": "tricky__empty_.csv",
}
READERS = ["vectorised", "vectorised-tiny-blocks", "streaming"]


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "vectorised-tiny-blocks":
        monkeypatch.setattr(vectorised, "BLOCK_BYTES", 16)
    yield "streaming" if request.param == "streaming" else "auto"


def expected_outputs(header: bytes, rows: Sequence[tuple[str | None, bytes]]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for value, raw in rows:
        if value is None:
            continue
        if not raw.endswith(b"\n"):
            raw += b"\r\n"  # the header's line ending, so a later row could not join this line
        out[value] = out.get(value, header) + raw
    return out


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_fixture_is_the_rows_listed_here() -> None:
    assert (DATA / "tricky.csv").read_bytes() == BOM + HEADER + b"".join(raw for _, raw in TRICKY)


def test_rows_are_copied_byte_for_byte(tmp_path: Path, reader: str) -> None:
    """Quoted delimiters and line breaks, CRLF, a BOM, empty fields, quoted and doubled-quote keys,
    an empty key, a blank line and a last row without a line ending."""
    result = split_csv(DATA / "tricky.csv", tmp_path, column="site", reader=reader)
    expected = expected_outputs(HEADER, TRICKY)
    assert outputs(tmp_path) == {FILES[v]: data for v, data in expected.items()}
    assert result.rows == 7 and result.blank_lines == 1
    assert result.counts == {"Boston": 3, "Chicago": 2, 'San "Fran", CA': 1, "": 1}
    assert list(result.files) == ["Boston", "Chicago", 'San "Fran", CA', ""]  # order of first appearance


@pytest.mark.parametrize("column,cut", [("subject", 0), ("site", 1), ("note", 3)])
def test_dropped_key_column_leaves_the_other_bytes(tmp_path: Path, reader: str, column: str, cut: int) -> None:
    result = split_csv(DATA / "tricky.csv", tmp_path, column=column, keep_key_column=False, reader=reader)
    if column == "site":
        header = b"subject,visit,note\r\n"
        rows = [(v, r.replace(b"Boston,", b"", 1)) for v, r in TRICKY if v is not None]
        rows = [
            (v, {"Chicago": r.replace(b'"Chicago",', b"", 1), "": r.replace(b"S005,,", b"S005,", 1)}.get(v, r))
            for v, r in rows
        ]
        rows = [(v, r.replace(b'"San ""Fran"", CA",', b"", 1)) for v, r in rows]
        assert outputs(tmp_path) == {FILES[v]: data for v, data in expected_outputs(header, rows).items()}
    elif column == "subject":
        first = outputs(tmp_path)["tricky_S001.csv"]
        assert first == b'site,visit,note\r\nBoston,1,"note, with a comma"\r\n'
    else:
        assert outputs(tmp_path)["tricky_two_lines.csv"] == b"subject,site,visit\r\nS003,Boston,2\r\n"
        assert outputs(tmp_path)["tricky_last_row_no_line_ending.csv"] == b"subject,site,visit\r\nS007,Boston,4\r\n"
    assert result.rows == 7


def test_tab_separated_and_lf(tmp_path: Path, reader: str) -> None:
    split_csv(DATA / "visits.tsv", tmp_path, column="site", reader=reader)
    raw = (DATA / "visits.tsv").read_bytes().splitlines(keepends=True)
    a_rows = [line for line in raw[1:] if line.split(b"\t")[1] == b"A"]
    assert (tmp_path / "visits_A.tsv").read_bytes() == raw[0] + b"".join(a_rows)


@pytest.mark.parametrize(
    "content,where,message",
    [
        (b"a,b\n1,2\n3\n", "bad.csv:3", "ragged row: expected 2 fields like the header, found 1"),
        (b"a,b\n1,2\n\n3,4,5\n", "bad.csv:4", "ragged row: expected 2 fields like the header, found 3"),
        (b'a,b\n1,"x\ny"\n2,3,4\n', "bad.csv:4", "ragged row: expected 2 fields like the header, found 3"),
        (b"a,b\n1,2\n   \n", "bad.csv:3", "ragged row: expected 2 fields like the header, found 1"),
        (b"a,b\n1,2\n3,\xe9\n", "bad.csv:3", "not valid UTF-8 (byte 0xe9); re-encode the file as UTF-8"),
        (b"", "bad.csv", "file is empty: expected a header row"),
    ],
)
def test_bad_input_gives_the_same_error(tmp_path: Path, reader: str, content: bytes, where: str, message: str) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    with pytest.raises(InputError) as info:
        split_csv(src, tmp_path / "out", column="a", reader=reader)
    assert (info.value.where, info.value.message) == (where, message)


@pytest.mark.parametrize(
    "rows,reason",
    [
        ([b'1,ab"c\n', b"2,d\n"], "a quote inside an unquoted field"),
        ([b'1,"ab"c\n', b"2,d\n"], "text after a closing quote"),
        ([b"1,ab\r", b"2,d\r\n"], "a carriage return that is not part of a CRLF line ending"),
        ([b"1,x\n", b'2,"open\n'], "the file ends inside a quoted field"),
    ],
)
def test_what_csv_accepts_but_the_vectorised_reader_refuses_is_handed_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, rows: list[bytes], reason: str
) -> None:
    """The streaming reader takes over at the refused block: same files as a streaming-only run."""
    src = tmp_path / "odd.csv"
    src.write_bytes(b"a,b\n" + b"".join(rows))
    with caplog.at_level(logging.INFO):
        auto = split_csv(src, tmp_path / "auto", column="a")
    assert reason in caplog.text and "the streaming reader goes on from there" in caplog.text
    assert auto.reader.startswith("vectorised, then streaming from line ")
    streaming = split_csv(src, tmp_path / "streaming", column="a", reader="streaming")
    assert outputs(tmp_path / "auto") == outputs(tmp_path / "streaming")
    assert (auto.rows, auto.counts) == (streaming.rows, streaming.counts)


def test_handover_mid_file_keeps_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks before the refused one are split by the vectorised reader; the error after the
    hand-over still names the physical line (quoted line breaks counted)."""
    monkeypatch.setattr(vectorised, "BLOCK_BYTES", 32)
    good = b"".join(b'%d,"x\ny"\n' % i for i in range(20))  # 40 lines
    src = tmp_path / "late.csv"
    src.write_bytes(b"a,b\n" + good + b'21,ab"c\n' + b"22,1,2\n")
    with pytest.raises(InputError) as info:
        split_csv(src, tmp_path / "out", column="a")
    assert info.value.where == "late.csv:43"


def test_nul_and_non_ascii_keys_are_plain_bytes(tmp_path: Path, reader: str) -> None:
    src = tmp_path / "u.csv"
    rows = [("Zürich", "1,Zürich\n".encode()), ("a\x00b", b"2,a\x00b\n"), ("Zürich", "3,Zürich\n".encode())]
    src.write_bytes(b"id,city\n" + b"".join(r for _, r in rows))
    result = split_csv(src, tmp_path / "out", column="city", reader=reader)
    assert result.counts == {"Zürich": 2, "a\x00b": 1}
    assert (tmp_path / "out" / result.files["Zürich"]).read_bytes() == "id,city\n1,Zürich\n3,Zürich\n".encode()


def test_a_row_longer_than_the_block_grows_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorised, "BLOCK_BYTES", 8)
    long_row = b'1,"' + b"x," * 500 + b'"\n'
    src = tmp_path / "long.csv"
    src.write_bytes(b"k,v\n" + long_row + b"2,y\n")
    result = split_csv(src, tmp_path / "out", column="k")
    assert result.reader == "vectorised"
    assert (tmp_path / "out" / "long_1.csv").read_bytes() == b"k,v\n" + long_row


def test_dropping_the_only_column_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "one.csv"
    src.write_bytes(b"k\n1\n")
    with pytest.raises(InputError) as info:
        split_csv(src, tmp_path / "out", column="k", keep_key_column=False)
    assert info.value.where == "config.keep_key_column"


def _random_table(rng: random.Random) -> bytes:
    """Mostly well-formed CSV, with now and then what only the streaming reader accepts."""
    pieces = ["k", "v", "x"]
    cells = ["", "a", "b", "a,b", 'q"q', "line\nbreak", "cr\r\nlf", "ü", " "]
    lines = [",".join(pieces)]
    for _ in range(rng.randint(0, 12)):
        row = []
        for _ in range(3 if rng.random() > 0.05 else rng.choice((1, 2, 4))):
            cell = rng.choice(cells)
            quoted = rng.random() < 0.4 or any(c in cell for c in ',"\r\n')
            row.append('"' + cell.replace('"', '""') + '"' if quoted else cell)
        if rng.random() < 0.05:
            row[0] = rng.choice(['a"b', '"a"b', "a\rb"])
        lines.append(",".join(row))
        if rng.random() < 0.05:
            lines.append("")
    ending = rng.choice(["\n", "\r\n"])
    text = ending.join(lines) + (ending if rng.random() < 0.7 else "")
    return text.encode("utf-8")


@pytest.mark.parametrize("seed", range(150))
def test_random_tables_give_the_same_files_or_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    src = tmp_path / "t.csv"
    src.write_bytes(_random_table(rng))
    monkeypatch.setattr(vectorised, "BLOCK_BYTES", rng.choice((8, 64, 4096)))
    found: dict[str, object] = {}
    for reader in ("auto", "streaming"):
        try:
            result = split_csv(src, tmp_path / reader, column="v", reader=reader)
            found[reader] = (outputs(tmp_path / reader), result.rows, result.blank_lines, result.counts)
        except InputError as exc:
            found[reader] = (exc.where, exc.message)
    assert found["auto"] == found["streaming"]


# Found by review: each failed before its fix.


def test_blocks_of_blank_lines_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorised, "BLOCK_BYTES", 7)
    for name, content, rows, blank in (
        ("end.csv", b"a,k\n\n\n", 0, 2),
        ("mid.csv", b"a,k\n1,x\n" + b"\n" * 17 + b"2,y\n", 2, 17),
    ):
        src = tmp_path / name
        src.write_bytes(content)
        result = split_csv(src, tmp_path / name.replace(".", "_"), column="k")
        assert (result.reader, result.rows, result.blank_lines) == ("vectorised", rows, blank)


@pytest.mark.parametrize("keys", [[b"a", b"a\x00"], [b"", b"\x00"], [b"abcdefgh", b"abcdefgh\x00", b"abcdefghi"]])
def test_keys_differing_by_nul_or_length_stay_apart(tmp_path: Path, keys: list[bytes]) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"a,k\n" + b"".join(b"%d,%s\n" % (i, k) for i, k in enumerate(keys * 2)))
    auto = split_csv(src, tmp_path / "auto", column="k")
    split_csv(src, tmp_path / "streaming", column="k", reader="streaming")
    assert auto.reader == "vectorised" and len(auto.files) == len(keys)
    assert outputs(tmp_path / "auto") == outputs(tmp_path / "streaming")


def test_a_hash_collision_hands_over_instead_of_merging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from csv_splitter_app import blocks

    monkeypatch.setattr(blocks, "_MULTIPLIER", blocks.np.uint64(0))  # every long key hashes alike
    src = tmp_path / "in.csv"
    src.write_bytes(b"a,k\n1,a-long-key-one\n2,a-long-key-two\n")
    result = split_csv(src, tmp_path / "out", column="k")
    assert result.reader == "vectorised, then streaming from line 2"
    assert result.counts == {"a-long-key-one": 1, "a-long-key-two": 1}


def test_a_field_over_csvs_limit_gets_csvs_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    from csv_splitter_app import records

    monkeypatch.setattr(vectorised, "FIELD_SIZE_LIMIT", 100)
    monkeypatch.setattr(records, "FIELD_SIZE_LIMIT", 100)
    old = csv.field_size_limit(100)
    try:
        src = tmp_path / "in.csv"
        src.write_bytes(b"a,k\n1,x\n2," + b"y" * 150 + b"\n3,x\n")
        with pytest.raises(InputError) as info:
            split_csv(src, tmp_path / "out", column="k")
    finally:
        csv.field_size_limit(old)
    assert (info.value.where, info.value.message) == ("in.csv:3", "malformed CSV: field larger than field limit (100)")


def test_crlf_split_by_a_block_boundary_stays_vectorised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    row = b"1,site,value\r\n"  # 14 bytes: every 27-byte block holds a row and ends on the next CR
    monkeypatch.setattr(vectorised, "BLOCK_BYTES", 27)
    src = tmp_path / "in.csv"
    src.write_bytes(b"a,k,v\r\n" + row * 50)
    result = split_csv(src, tmp_path / "out", column="k")
    assert result.reader == "vectorised" and result.rows == 50
