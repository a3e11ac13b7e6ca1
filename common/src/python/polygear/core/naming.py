"""Output file names derived from data: safe, unique, length-capped, unique ignoring case.

A tool that writes one file per key value (a site, a subject, a scanner) turns values it has never
seen into file names. Data is hostile by accident: two values may differ only in case ("Boston",
"boston") and land in one file on macOS and Windows, whose filesystems ignore case (and Unicode
normalisation form); a value may be long enough that the name exceeds the 255-byte limit of every
common filesystem; an input named `..csv` has the stem "." and yields hidden names such as
`._Boston.csv` (or `.metadata.json`, which Flywheel reads as instructions). Rows must never merge
silently and a run must not crash on such names, so every tool that writes per-key files needs the
same guarantees; they live here, in the platform-neutral core, rather than in each tool.

`OutputNames.allocate` gives them for one output folder: the first candidate to claim a name keeps
it and later ones get `-2`, `-3`... (order of first appearance, so reruns on the same input give
the same names), and overlong names are cut with a hash of the full name, so that distinct values
stay distinct and the same value always gets the same name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_NAME_BYTES = 255  # ext4, XFS, btrfs, APFS, NTFS: no single name may be longer (as UTF-8 bytes here)
EMPTY = "_empty_"
HASH_CHARS = 10  # 40 bits of SHA-256: an accidental clash is negligible, and allocate() resolves it anyway
_MAX_SUFFIX_BYTES = 32  # a longer "extension" is part of the value, not a file type worth keeping
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SEPARATORS = re.compile(r"[/\\]")


def safe_component(value: str, max_chars: int = 100) -> str:
    """`value` as a conservative file-name piece: ASCII letters, digits, `.`, `_` and `-` only.

    Runs of anything else become `_`; leading and trailing dots and underscores go (no hidden
    names, no `..`); at most `max_chars` characters; `_empty_` if nothing is left. Different values
    can give the same piece ("a/b", "a_b"): `OutputNames.allocate` keeps them apart.
    """
    cleaned = _UNSAFE.sub("_", value.strip()).strip("._")
    return cleaned[:max_chars] or EMPTY


def clean_name(candidate: str) -> str:
    """One plain, visible file name for `candidate`, in Unicode NFC.

    Path separators become `_` (the name must stay one entry of the output folder), and so do control
    characters (a NUL cannot be in a name at all; the others make names nobody can type or list
    safely); leading dots go, since hidden files are easily lost (and `.` or `..` are not files at
    all); a result that is empty or only spaces and dots becomes `_empty_`.
    """
    name = unicodedata.normalize("NFC", candidate)
    name = "".join("_" if unicodedata.category(ch) == "Cc" else ch for ch in _SEPARATORS.sub("_", name))
    name = name.lstrip(".")
    return name if name.strip(" .") else EMPTY


def fold(name: str) -> str:
    """The key under which case-insensitive filesystems see `name` as the same file.

    Case-folded between NFC normalisations (casefold can denormalise), and without trailing dots
    and spaces, which Windows drops from names.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold()).rstrip(". ")


def split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) as `pathlib` splits them: `visits_a.csv` -> (`visits_a`, `.csv`)."""
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot:]
    return name, ""


def cap_length(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`name` if it fits in `max_bytes` UTF-8 bytes, else a stable shortened form that does.

    The stem is cut (on a character boundary) and `-<hash of the full name>` added before the
    suffix, so the file type stays visible, two long names that share a prefix stay distinct, and
    the same name is always shortened the same way.
    """
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, suffix = split_suffix(name)
    if len(suffix.encode("utf-8")) > _MAX_SUFFIX_BYTES:
        stem, suffix = name, ""
    tag = "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:HASH_CHARS]
    room = max_bytes - len(tag.encode("utf-8")) - len(suffix.encode("utf-8"))
    head = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return f"{head}{tag}{suffix}"


def numbered(name: str, n: int) -> str:
    """The n-th variant of `name` (n >= 2): `visits_a.csv` -> `visits_a-2.csv`."""
    stem, suffix = split_suffix(name)
    return f"{stem}-{n}{suffix}"


class OutputNames:
    """The file names given out so far in one output folder; `allocate` hands out the next one.

    Names are unique as case-insensitive filesystems compare them (see `fold`), so no two outputs
    can become one file on macOS or Windows. `reserved` names (an adapter's own files, say) are
    never given out.
    """

    def __init__(self, reserved: Iterable[str] = (), max_bytes: int = MAX_NAME_BYTES) -> None:
        if max_bytes < _MAX_SUFFIX_BYTES + HASH_CHARS + 8:
            raise ValueError(f"max_bytes={max_bytes} leaves no room for a shortened name")
        self.max_bytes = max_bytes
        self._taken: set[str] = {fold(name) for name in reserved}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._taken

    def allocate(self, candidate: str) -> str:
        """A safe name for `candidate` that no earlier call (nor `reserved`) has, case ignored.

        The first claimant of a name gets it as is (made safe by `clean_name`, capped by
        `cap_length`); later ones get `-2`, `-3`... before the suffix, capped in turn.
        """
        full = clean_name(candidate)
        name, n = cap_length(full, self.max_bytes), 1
        while fold(name) in self._taken:
            n += 1
            name = cap_length(numbered(full, n), self.max_bytes)
        self._taken.add(fold(name))
        return name
