"""polygear.core.naming: output file names that are safe, unique ignoring case, and length-capped."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest

from polygear.core.naming import (
    EMPTY,
    MAX_NAME_BYTES,
    OutputNames,
    cap_length,
    clean_name,
    fold,
    safe_component,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("San Francisco", "San_Francisco"),
        ("a/b", "a_b"),
        ("..secret..", "secret"),
        ("_x_", "x"),
        ("Zürich", "Z_rich"),
        ("  ", EMPTY),
        ("..", EMPTY),
        ("", EMPTY),
        ("x" * 150, "x" * 100),
    ],
)
def test_safe_component(value: str, expected: str) -> None:
    assert safe_component(value) == expected


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("._Boston.csv", "_Boston.csv"),
        (".._Boston.json", "_Boston.json"),
        (".metadata.json", "metadata.json"),
        (".", EMPTY),
        ("..", EMPTY),
        ("", EMPTY),
        (" . ", EMPTY),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("a\\b", "a_b"),
        ("a\x00b\x1fc\x7fd\x85.csv", "a_b_c_d_.csv"),
        ("Zu\u0308rich.csv", "Z\u00fcrich.csv"),
    ],
)
def test_clean_name(candidate: str, expected: str) -> None:
    assert clean_name(candidate) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Boston.csv", "BOSTON.csv"),
        ("Zu\u0308rich.csv", "z\u00fcrich.csv"),  # NFD (macOS HFS+) and NFC
        ("STRASSE.csv", "straße.csv"),
        ("report.", "report"),  # Windows drops trailing dots and spaces
    ],
)
def test_fold_equates_what_case_insensitive_filesystems_equate(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_allocate_in_order_of_first_appearance_ignoring_case() -> None:
    names = OutputNames()
    got = [names.allocate(c) for c in ("Boston.csv", "boston.csv", "BOSTON.csv", "Boston.csv", "a_b.csv")]
    assert got == ["Boston.csv", "boston-2.csv", "BOSTON-3.csv", "Boston-4.csv", "a_b.csv"]
    assert "BOSTON.CSV" in names and "Chicago.csv" not in names


def test_allocate_unicode_forms_are_one_name() -> None:
    names = OutputNames()
    assert names.allocate("Zu\u0308rich.csv") == "Z\u00fcrich.csv"
    assert names.allocate("Z\u00fcrich.csv") == "Z\u00fcrich-2.csv"
    assert unicodedata.is_normalized("NFC", names.allocate("Zu\u0308rich.csv"))


def test_allocate_skips_numbered_names_already_taken_and_reserved_names() -> None:
    names = OutputNames(reserved=[".metadata.json", "report.json"])
    assert [names.allocate(c) for c in ("a.csv", "a-2.csv", "A.csv")] == ["a.csv", "a-2.csv", "A-3.csv"]
    assert names.allocate("Report.json") == "Report-2.json"
    assert names.allocate(".metadata.json") == "metadata.json"


@pytest.mark.parametrize("candidate", [".", "..", "...", ".hidden", "../..", "/", "\x00", "", " ", ".\x00."])
def test_allocate_never_gives_a_dot_name_a_path_or_a_control_character(candidate: str) -> None:
    name = OutputNames().allocate(candidate)
    assert name not in (".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name and all(unicodedata.category(c) != "Cc" for c in name)


def test_cap_length_keeps_suffix_adds_hash_of_full_name() -> None:
    full = "s" * 300 + ".csv"
    capped = cap_length(full)
    assert capped == "s" * 240 + "-" + hashlib.sha256(full.encode()).hexdigest()[:10] + ".csv"
    assert len(capped.encode()) == MAX_NAME_BYTES
    assert cap_length("short.csv") == "short.csv"
    assert cap_length("s" * 251 + ".csv") == "s" * 251 + ".csv"  # exactly 255 bytes: untouched


def test_cap_length_cuts_on_a_character_boundary() -> None:
    full = "é" * 200 + ".tsv"  # 404 bytes
    capped = cap_length(full)
    assert len(capped.encode()) <= MAX_NAME_BYTES and capped.endswith(".tsv")
    assert capped.startswith("é" * 120) and "\ufffd" not in capped


def test_cap_length_does_not_keep_a_long_tail_as_suffix() -> None:
    capped = cap_length("x" * 250 + "." + "y" * 100)
    assert len(capped.encode()) <= MAX_NAME_BYTES and capped.startswith("x" * 200)
    assert len(cap_length("z" * 1000).encode()) <= MAX_NAME_BYTES


def test_long_names_stay_distinct_and_stable() -> None:
    candidates = ["p" * 300 + "1.csv", "p" * 300 + "2.csv", "P" * 300 + "1.csv"]
    first = [OutputNames().allocate(c) for c in candidates]
    names = OutputNames()
    together = [names.allocate(c) for c in candidates]
    assert first == together  # the same candidate always gets the same name
    assert len({fold(n) for n in together}) == 3
    assert all(len(n.encode()) <= MAX_NAME_BYTES and n.endswith(".csv") for n in together)
    repeat = names.allocate(candidates[0])  # a second output for the same candidate: numbered, capped
    assert repeat not in together and len(repeat.encode()) <= MAX_NAME_BYTES and repeat.endswith(".csv")


def test_max_bytes_must_leave_room() -> None:
    with pytest.raises(ValueError, match="no room"):
        OutputNames(max_bytes=20)
    assert len(OutputNames(max_bytes=60).allocate("q" * 100 + ".csv").encode()) <= 60
