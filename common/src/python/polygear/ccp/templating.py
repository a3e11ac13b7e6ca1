"""Substituting `{{ id }}` placeholders into CCP lifecycle scripts without letting a value become code.

CCP hands every input to the scripts as template text, substituted before the shell reads them. A
value is data, so each one must arrive as exactly the characters the user gave, whatever they are
(`'`, `"`, `$(...)`, `;`, newlines). How a value is escaped depends on where its placeholder sits in
the shell text, so the script is scanned like the shell scans it (quotes, backslashes, comments):

- outside quotes (`echo {{ x }}`): the value becomes one shell word, `shlex.quote(value)`;
- inside a single-quoted word (`'{{ x }}'`, the style generated Methods use): everything there is
  literal except `'`, so each `'` becomes `'"'"'` (close the word, a double-quoted quote, reopen);
- inside a double-quoted word (`"{{ x }}"`): `$`, backquotes and `\\` are live there, so the
  double quotes are closed around a `shlex.quote`d value (`""'value'""`): still one word;
- inside ANSI-C quotes (`$'...'`): refused, backslash escapes there would need their own encoding.

Heredoc bodies are not recognised: do not put a placeholder in one (the shell expands `$(...)`
there whatever the quoting of the value).

A placeholder naming no input of the Method is an error found before anything runs, never an empty
string; so is a quote left open at the end of a script (the shell would fail, and the quoting
context of the placeholders after it would be unknown).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from polygear.core.errors import UserError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")
CCP_DATA = "/ccp_data"
# `/ccp_data` as a whole path component: not `/x/ccp_data`, `/ccp_database` or `/ccp_data.txt`.
_CCP_DATA_PATH = re.compile(r"(?<![\w.-])/ccp_data(?![\w.-])")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9_./+-]*")

UNQUOTED, SINGLE, DOUBLE, ANSI, COMMENT = "unquoted", "single", "double", "ansi-c", "comment"
_WORD_START = frozenset(" \t\n;&|()<>")


@dataclass(frozen=True)
class Placeholder:
    """One `{{ name }}` in a script: where it is and which quoting the shell applies there."""

    start: int
    end: int
    name: str
    context: str


def _after_escape(state: str, text: str, i: int) -> int | None:
    """The next index when `text[i]` is a backslash escaping the next character, else None."""
    if text[i] == "\\" and state in (UNQUOTED, DOUBLE, ANSI):
        return i + 2
    return None


def _next_state(state: str, text: str, i: int) -> tuple[str, int]:
    """The shell's quoting state after the character (or two) at `i`, and the next index."""
    char = text[i]
    if state == UNQUOTED:
        if text.startswith("$'", i):
            return ANSI, i + 2
        if char == "#" and (i == 0 or text[i - 1] in _WORD_START):
            return COMMENT, i + 1
        return {"'": SINGLE, '"': DOUBLE}.get(char, UNQUOTED), i + 1
    closing = {SINGLE: "'", DOUBLE: '"', ANSI: "'", COMMENT: "\n"}[state]
    return (UNQUOTED if char == closing else state), i + 1


def scan(text: str) -> tuple[list[Placeholder], str]:
    """Every placeholder in `text` with its quoting context, and the state at the end of the text."""
    found: list[Placeholder] = []
    state, i = UNQUOTED, 0
    while i < len(text):
        match = PLACEHOLDER.match(text, i) if text.startswith("{{", i) else None
        if match:
            found.append(Placeholder(i, match.end(), match.group(1), UNQUOTED if state == COMMENT else state))
            i = match.end()
            continue
        skip = _after_escape(state, text, i)
        if skip is not None:
            i = skip
            continue
        state, i = _next_state(state, text, i)
    return found, state


def script_text(lines: Sequence[str]) -> str:
    """A script's lines as the shell file the runtimes execute."""
    return "".join(f"{line}\n" for line in lines)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def check(text: str, known: Mapping[str, object] | set[str], where: str) -> list[Placeholder]:
    """The script's placeholders; a `UserError` naming the line for an unknown name or bad quoting."""
    found, end_state = scan(text)
    for p in found:
        line = _line_of(text, p.start)
        if p.name not in known:
            names = ", ".join(sorted(known)) or "none"
            raise UserError(where, f"line {line}: unknown placeholder {{{{ {p.name} }}}} (the inputs are: {names})")
        if p.context == ANSI:
            raise UserError(where, f"line {line}: placeholder {{{{ {p.name} }}}} inside $'...' is not supported")
    if end_state in (SINGLE, DOUBLE, ANSI):
        raise UserError(where, f"a {end_state}-quoted string is not closed by the end of the script")
    return found


def quote_for(value: str, context: str) -> str:
    """`value` escaped so that the shell reads it back unchanged at a placeholder in `context`."""
    if "\0" in value:
        raise ValueError("a NUL character cannot be passed through a shell script")
    if context == SINGLE:
        return value.replace("'", "'\"'\"'")
    if context == DOUBLE:
        return '"' + shlex.quote(value) + '"'
    return shlex.quote(value)


def render(text: str, values: Mapping[str, str], where: str) -> str:
    """`text` with every placeholder replaced by its value, escaped for its position (see module doc)."""
    pieces: list[str] = []
    last = 0
    for p in check(text, values, where):
        pieces += [text[last : p.start], quote_for(values[p.name], p.context)]
        last = p.end
    pieces.append(text[last:])
    return "".join(pieces)


def with_ccp_data(text: str, path: str) -> str:
    """`text` with the path `/ccp_data` pointing at `path` (a local sandbox standing in for it).

    Only the script's own text is rewritten, before values are substituted: values are data.
    """
    if not _SAFE_PATH.fullmatch(path):
        raise UserError(path, "a sandbox path must consist of letters, digits and _ . / + - (set TMPDIR)")
    return _CCP_DATA_PATH.sub(path, text)


def with_host_paths(text: str, paths: Mapping[str, str]) -> str:
    """`text` with image paths (e.g. `/bin/run`) pointing at files on this machine, for local runs.

    Whole path components only, script text only (values are data), like `with_ccp_data`.
    """
    for image_path, host_path in paths.items():
        if not _SAFE_PATH.fullmatch(host_path) or not _SAFE_PATH.fullmatch(image_path):
            raise UserError(f"{image_path}={host_path}", "expected paths of letters, digits and _ . / + -")
        pattern = re.compile(rf"(?<![\w.-]){re.escape(image_path)}(?![\w.-])")
        text = pattern.sub(host_path, text)
    return text


def placeholder_names(text: str) -> Iterator[str]:
    """The names the script's placeholders use, in order (repeats included)."""
    return (p.name for p in scan(text)[0])
