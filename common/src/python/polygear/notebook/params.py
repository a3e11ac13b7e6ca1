"""A notebook tool's parameters, typed the way NASA MAAP's app-pack-generator types them, made strict.

A tool may be a notebook (`gears/<name>/src/notebook/process.ipynb`) whose cell tagged `parameters` holds
`name = value  # type: hint  help` lines. MAAP reads them with `papermill.inspect_notebook` and types them
loosely: a hint wins, else a quoted default is a string, anything `float()` takes a float, the rest `Any`,
and lines papermill cannot read vanish without a word. Here the same notebook gets the same types or one
`UserError` line, because a mistyped parameter only shows once the tool runs on a platform (or never: the
notebook silently computes with `'12'` for `12`, papermill does not check types).

papermill 2.7's `inspect_notebook(path)` returns {name: {"name", "inferred_type_name", "default", "help"}},
all strings: `inferred_type_name` is the annotation (`x: int = 1`), else the word after `# type:` (case
kept; `#type:int` and extra spaces are fine, `# Type: int` and `# type : int` are not hints), else "None";
`default` is the source text up to the first `#` (even one inside a string) and `help` the rest of the
comment. Being a dict, it hides a name assigned twice; it skips lines holding two `=` (`s = 'a=b'`), glues
a following line without `=` to the default above it, and takes `a=1,` on a continuation line, or an
assignment nested in an `if`, for a parameter. So the cell is also parsed with `ast`: after the first
parameter it may hold only assignments, each one papermill reads, once.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill  # type: ignore[import-untyped]  # papermill ships no type hints
from papermill.exceptions import PapermillException  # type: ignore[import-untyped]

from polygear.core.errors import UserError
from polygear.core.spec import ToolSpec

KINDS = ("int", "float", "double", "boolean", "string", "File", "Directory", "stage_in", "stage_out", "any")
# Every hint spelling MAAP accepts -> its kind. Compared in lowercase, as MAAP's Util.GetKeyType does.
HINTS: dict[str, str] = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "double": "double",
    "bool": "boolean",
    "boolean": "boolean",
    "str": "string",
    "string": "string",
    "file": "File",
    "directory": "Directory",
    "stage-in": "stage_in",
    "stage_in": "stage_in",
    "stage-out": "stage_out",
    "stage_out": "stage_out",
    "any": "any",
}
# `# Type: int`, `# type : int`: meant as a hint, but papermill reads it as help text.
_UNREAD_HINT = re.compile(r"type\s*:\s*(\S+)", re.IGNORECASE)
# Manifest config types. `any` travels as a string: the manifest has no "any", and a string is what every
# platform passes verbatim.
_CONFIG_TYPES = {
    "int": "integer",
    "float": "number",
    "double": "number",
    "boolean": "boolean",
    "string": "string",
    "any": "string",
}
_INPUT_TEXT = {
    "File": "The {name} file (a notebook parameter, given as its path).",
    "stage_in": "The {name} file, staged in as a one-item list of CWL File objects (MAAP's stage-in).",
}


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of the notebook's `parameters` cell, typed."""

    name: str
    kind: str  # one of KINDS
    default: Any  # the literal default as a Python value (None allowed; an int becomes a float for float/double)
    optional: bool  # True when the default is None
    help: str  # papermill's help text (the comment after the hint), may be ""


class _Refused(Exception):
    """A value that cannot be had as the declared kind (turned into a UserError by `coerce`)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_staged(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(f, dict) and isinstance(f.get("path"), str) for f in value)


def _label(kind: str) -> str:
    return {"stage_in": "stage-in", "stage_out": "stage-out"}.get(kind, kind)


def _and(items: Iterable[object]) -> str:
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


# What a default may be under a hint (besides None): (test, words for the message). stage_out has its own rule.
_DEFAULTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (_is_number, "a number"),
    "double": (_is_number, "a number"),
    "boolean": (lambda v: isinstance(v, bool), "True or False"),
    "string": (lambda v: isinstance(v, str), "a string"),
    "File": (lambda v: isinstance(v, str), "a path string"),
    "Directory": (lambda v: isinstance(v, str), "a path string"),
    "stage_in": (_is_staged, "a list of {'path': ...} dicts"),
    "any": (lambda v: True, "any literal"),
}


def read_parameters(path: Path) -> list[NotebookParameter]:
    """The notebook's parameters in cell order, or a one-line `UserError` naming the notebook (and parameter)."""
    path = Path(path)
    notebook = _load_notebook(path)
    source = _parameters_source(path, notebook)
    inspected = _inspect(path, notebook)
    lines = _assignment_lines(path, source)
    for name, found in lines.items():
        if name not in inspected:
            raise UserError(
                f"{path}:parameters.{name}",
                "expected a line papermill reads as a parameter (`name = value`, one '=' on the line), "
                f"found line {found[0]} skipped by papermill",
            )
    for name in inspected:
        if name not in lines:
            raise UserError(
                f"{path}:parameters.{name}",
                "expected parameters assigned at the top level of the parameters cell, "
                f"found {name!r} read by papermill from inside another statement",
            )
    return [_typed(f"{path}:parameters.{name}", inspected[name]) for name in lines]


def _load_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook as nbformat 4, validated: papermill itself runs notebooks nbformat merely logs as invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(str(path), f"expected a readable notebook file, found: {error}") from None
    try:
        if not isinstance(nbformat.reader.parse_json(text), dict):
            raise nbformat.NBFormatError("Notebook JSON is not an object")
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        nbformat.validate(notebook)
    except (ValueError, nbformat.ValidationError) as error:  # NotJSONError and NBFormatError are ValueErrors
        raise UserError(str(path), f"expected a valid Jupyter notebook (nbformat): {_first_line(error)}") from None
    return notebook


def _parameters_source(path: Path, notebook: nbformat.NotebookNode) -> str:
    """The source of the one code cell tagged `parameters` (papermill would ignore, not merge, a second one)."""
    tagged = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    if not tagged:
        raise UserError(str(path), "expected a cell tagged 'parameters' (papermill's parameters cell), found none")
    if len(tagged) > 1:
        numbers = _and(i + 1 for i in tagged)
        raise UserError(
            str(path), f"expected one cell tagged 'parameters', found {len(tagged)} (cells {numbers}, counting from 1)"
        )
    cell = notebook.cells[tagged[0]]
    if cell.cell_type != "code":
        raise UserError(
            str(path), f"expected the cell tagged 'parameters' to be a code cell, found a {cell.cell_type} cell"
        )
    source: str = cell.source
    return source


def _inspect(path: Path, notebook: nbformat.NotebookNode) -> dict[str, dict[str, str]]:
    """papermill's own reading (MAAP's source of truth); it needs a kernelspec and, for `ast`, Python."""
    try:
        inspected: dict[str, dict[str, str]] = papermill.inspect_notebook(str(path))
    except (ValueError, PapermillException) as error:
        raise UserError(str(path), f"expected a notebook papermill can inspect, found: {_first_line(error)}") from None
    metadata = notebook.metadata
    language = metadata.get("language_info", {}).get("name") or metadata.get("kernelspec", {}).get("language")
    if str(language).lower() != "python":
        raise UserError(str(path), f"expected a Python notebook, found language {language!r}")
    return inspected


def _assignment_lines(path: Path, source: str) -> dict[str, list[int]]:
    """Name -> the cell lines assigning it at the top level, in cell order.

    Refused: a name assigned twice, and any other statement after the first assignment, since papermill
    glues a line without `=` to the parameter above it (`x = 1` then `print(x)` has the default `1print(x)`).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise UserError(
            str(path), f"expected Python code in the parameters cell, found on line {error.lineno}: {error.msg}"
        ) from None
    lines: dict[str, list[int]] = {}
    for statement in tree.body:
        names = _assigned_names(statement)
        if not names and lines:
            above = list(lines)[-1]
            raise UserError(
                f"{path}:parameters.{above}",
                "expected only assignments after the first parameter, found another statement on line "
                f"{statement.lineno} (papermill would read it as part of the default of {above!r})",
            )
        for name in names:
            lines.setdefault(name, []).append(statement.lineno)
    for name, found in lines.items():
        if len(found) > 1:
            times = "twice" if len(found) == 2 else f"{len(found)} times"
            raise UserError(
                f"{path}:parameters.{name}",
                f"expected each parameter once, found {name!r} {times} (lines {_and(found)} of the parameters cell)",
            )
    return lines


def _assigned_names(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds with `=` (`a = b = 1`, `a, b = 1, 2` and `a += 1` included)."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AugAssign) or (isinstance(statement, ast.AnnAssign) and statement.value):
        targets = [statement.target]
    else:
        return []
    names: list[str] = []
    for target in targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names += [element.id for element in elements if isinstance(element, ast.Name)]
    return names


def _typed(where: str, entry: dict[str, str]) -> NotebookParameter:
    kind, help_text = _hint(where, entry["inferred_type_name"], entry["help"])
    value = _literal(where, entry["default"])
    kind = kind or _inferred_kind(where, value)
    default = _checked_default(where, kind, value)
    return NotebookParameter(entry["name"], kind, default, default is None, help_text)


def _hint(where: str, hint: str, help_text: str) -> tuple[str | None, str]:
    """(kind or None when there is no hint, help text)."""
    if hint == "None":  # papermill's word for "no annotation and no `# type:`"
        if help_text.lower() in HINTS:  # MAAP takes a bare `# int` comment (papermill's help) for the hint
            return HINTS[help_text.lower()], ""
        unread = _UNREAD_HINT.match(help_text)
        if unread and unread.group(1).lower() in HINTS:
            raise UserError(
                where, f"expected a hint papermill reads ('# type: {unread.group(1)}'), found '# {help_text}'"
            )
        return None, help_text
    if hint.lower() not in HINTS:
        raise UserError(where, f"expected a type hint among {', '.join(HINTS)}, found {hint!r}")
    return HINTS[hint.lower()], help_text


def _literal(where: str, text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise UserError(
            where,
            "expected a literal default (a string, number, True/False, None, list or dict), "
            f"found {text!r} as papermill reads it",
        ) from None


def _inferred_kind(where: str, value: Any) -> str:
    """MAAP's rules without a hint: quoted -> string, a number (even `3`) -> float; plus True/False, None."""
    if value is None:
        return "any"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if _is_number(value):
        return "float"
    raise UserError(
        where,
        f"expected a '# type:' hint for a default that is not a string, number, True/False or None, found {value!r}",
    )


def _checked_default(where: str, kind: str, value: Any) -> Any:
    if kind == "stage_out":  # the default is the output's glob: there is nothing to stage without one
        if not isinstance(value, str) or not value:
            raise UserError(where, f"expected a string glob pattern for a stage-out parameter, found {value!r}")
        return value
    if value is None:
        return None
    accepts, words = _DEFAULTS[kind]
    if not accepts(value):
        raise UserError(where, f"expected {words} or None for a parameter typed {_label(kind)}, found {value!r}")
    return float(value) if kind in ("float", "double") else value


def _to_int(value: Any) -> int:
    if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):  # 3.0 is fine, as in bind
        raise _Refused
    return int(value)


def _to_float(value: Any) -> float:
    if not _is_number(value):
        raise _Refused
    return float(value)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # papermill's `-p flag true` stays a string
        return value.lower() == "true"
    raise _Refused


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):  # papermill turns `-p name 12` into 12: give the text back
        return str(value)
    raise _Refused


def _to_path(value: Any) -> str:
    if not isinstance(value, (str, Path)) or not str(value):
        raise _Refused
    return str(value)


def _to_glob(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Refused
    return value


def _to_staged(value: Any) -> list[dict[str, Any]]:
    """Paths (or one path) as MAAP injects staged files: a list of CWL File objects, each with its `path`."""
    items = [value] if isinstance(value, (str, Path)) else value
    if not isinstance(items, (list, tuple)):
        raise _Refused
    return [_cwl_file(item) for item in items]


def _cwl_file(item: Any) -> dict[str, Any]:
    if isinstance(item, dict) and isinstance(item.get("path"), str):
        return item  # already a File object (a stage-in step's own, or the notebook's default)
    path = Path(os.path.abspath(_to_path(item)))
    return {
        "class": "File",
        "location": path.as_uri(),
        "path": str(path),
        "basename": path.name,
        "dirname": str(path.parent),
        "nameroot": path.stem,
        "nameext": path.suffix,
    }


_COERCE: dict[str, tuple[Callable[[Any], Any], str]] = {
    "int": (_to_int, "an integer"),
    "float": (_to_float, "a number"),
    "double": (_to_float, "a number"),
    "boolean": (_to_boolean, "a boolean (True/False)"),
    "string": (_to_string, "a string"),
    "File": (_to_path, "a file path"),
    "Directory": (_to_path, "a directory path"),
    "stage_in": (_to_staged, "a list of file paths"),
    "stage_out": (_to_glob, "a string glob pattern"),
    "any": (lambda value: value, "any value"),
}


def coerce(parameter: NotebookParameter, value: Any) -> Any:
    """A bound value as the declared type, for papermill's `parameters=`: papermill passes values as they come."""
    if value is None and parameter.optional:
        return None
    convert, words = _COERCE[parameter.kind]
    try:
        return convert(value)
    except _Refused:
        raise UserError(f"parameters.{parameter.name}", f"expected {words}, found {value!r}") from None


def manifest_sections(params: list[NotebookParameter]) -> dict[str, Any]:
    """The manifest's `config`, file `inputs` and outputs (`custom.polygear.outputs`) the parameters call for.

    File and stage-in parameters become file inputs, one file each (a stage-in input is staged as a one-item
    list); stage-out parameters become output groups globbing their default; Directory has no manifest form.
    """
    sections: dict[str, dict[str, Any]] = {"config": {}, "inputs": {}, "outputs": {}}
    for parameter in params:
        name, where = parameter.name, f"parameters.{parameter.name}"
        if parameter.kind == "Directory":
            raise UserError(
                where, "expected a value or a file, found a directory parameter (manifest inputs are files)"
            )
        if parameter.kind == "stage_out":
            text = parameter.help or f"Files matching {parameter.default}."
            sections["outputs"][name] = {"glob": parameter.default, "description": text}
        elif parameter.kind in _INPUT_TEXT:
            text = parameter.help or _INPUT_TEXT[parameter.kind].format(name=name)
            optional = {"optional": True} if parameter.optional else {}
            sections["inputs"][name] = {"base": "file", **optional, "description": text}
        else:
            sections["config"][name] = _config_directive(where, parameter)
    return sections


def _config_directive(where: str, parameter: NotebookParameter) -> dict[str, Any]:
    if parameter.kind == "any" and not isinstance(parameter.default, (str, type(None))):
        raise UserError(
            where,
            f"expected a string or None default for an any parameter (passed as a string), found {parameter.default!r}",
        )
    directive: dict[str, Any] = {"type": _CONFIG_TYPES[parameter.kind]}
    if parameter.optional:
        directive["optional"] = True  # Flywheel's schema forbids `default` beside `optional`
    else:
        directive["default"] = parameter.default
    directive["description"] = parameter.help or f"Notebook parameter {parameter.name} ({_label(parameter.kind)})."
    return directive


_ABSENT = object()


def disagreements(params: list[NotebookParameter], manifest: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, expected, found) wherever a hand-written manifest differs from what the notebook declares.

    Compared: config (type, default, optional), file inputs (optional; api-key and context inputs are the
    platform's) and `custom.polygear.outputs` (glob); missing and extra entries too. Descriptions are not:
    a hand-written one is better than ours. Values are shown as JSON, a missing key as `absent`.
    """
    expected = manifest_sections(params)
    spec = ToolSpec(Path("manifest.json"), manifest)  # the manifest read as every adapter reads it
    outputs = {name: {"glob": group.glob} for name, group in spec.outputs.items()}
    found: list[tuple[str, str, str]] = []
    found += _compare("config", expected["config"], spec.parameters, ("type", "default", "optional"))
    found += _compare("inputs", expected["inputs"], spec.file_inputs, ("optional",))
    found += _compare("custom.polygear.outputs", expected["outputs"], outputs, ("glob",))
    return found


def _compare(
    section: str, want: dict[str, dict[str, Any]], have: dict[str, dict[str, Any]], keys: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for name, directive in want.items():
        if name not in have:
            found.append((f"{section}.{name}", "present", "absent"))
            continue
        for key in keys:
            wanted, given = _field(directive, key), _field(have[name], key)
            if not _same(wanted, given):
                found.append((f"{section}.{name}.{key}", _show(wanted), _show(given)))
    found += [(f"{section}.{name}", "absent", "present") for name in have if name not in want]
    return found


def _field(directive: dict[str, Any], key: str) -> Any:
    if key == "optional":
        return bool(directive.get("optional", False))
    return directive.get(key, _ABSENT)


def _same(a: Any, b: Any) -> bool:
    """Equal, with True never equal to 1 (JSON tells them apart) but 3 equal to 3.0."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _show(value: Any) -> str:
    return "absent" if value is _ABSENT else json.dumps(value)
