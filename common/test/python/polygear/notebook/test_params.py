"""polygear.notebook.params: a notebook's papermill parameters typed by MAAP's rules, made strict.

Every notebook is written here, with nbformat or as the raw JSON Jupyter saves, so each test shows the
parameters cell it is about; messages are asserted whole since they are the user interface.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import papermill  # type: ignore[import-untyped]  # papermill ships no type hints
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from polygear.core.errors import UserError
from polygear.notebook.params import (
    HINTS,
    KINDS,
    NotebookParameter,
    coerce,
    disagreements,
    manifest_sections,
    read_parameters,
)

PYTHON = {
    "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "language_info": {"name": "python"},
}
ALL_HINTS = (
    "int, integer, float, double, bool, boolean, str, string, file, directory, stage-in, stage_in, "
    "stage-out, stage_out, any"
)


def write(tmp_path: Path, source: str, *, before: tuple[str, ...] = (), metadata: Any = None) -> Path:
    """process.ipynb with `source` as its parameters cell (after plain code cells `before`)."""
    cells = [new_code_cell(text) for text in before]
    cells.append(new_code_cell(source, metadata={"tags": ["parameters"]}))
    cells.append(new_code_cell("print('done')"))
    path = tmp_path / "process.ipynb"
    nbformat.write(new_notebook(cells=cells, metadata=PYTHON if metadata is None else metadata), path)
    return path


def read_one(tmp_path: Path, source: str) -> NotebookParameter:
    (parameter,) = read_parameters(write(tmp_path, source))
    return parameter


def refusal(tmp_path: Path, source: str) -> str:
    """The one-line message for a bad parameters cell, with the notebook path taken off."""
    path = write(tmp_path, source)
    with pytest.raises(UserError) as caught:
        read_parameters(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}")
    return message[len(str(path)) :]


def param(name: str, kind: str, default: Any = None, help: str = "") -> NotebookParameter:
    return NotebookParameter(name, kind, default, default is None, help)


# --- what papermill really returns -------------------------------------------------------------------------


def test_papermill_inspect_returns_source_text_and_hides_duplicates(tmp_path: Path) -> None:
    """The facts the module is built on (papermill 2.7): all strings, "None" for no hint, one entry per name."""
    path = write(tmp_path, "n = 86 #type: int  how many\nx = 1\nx = 2\ns = 'a#b'\n")
    assert papermill.inspect_notebook(str(path)) == {
        "n": {"name": "n", "inferred_type_name": "int", "default": "86", "help": "how many"},
        "x": {"name": "x", "inferred_type_name": "None", "default": "2", "help": ""},
        "s": {"name": "s", "inferred_type_name": "None", "default": "'a", "help": "b'"},
    }


# --- typing ------------------------------------------------------------------------------------------------


def test_maap_readme_example(tmp_path: Path) -> None:
    source = (
        "input_1 = 12.5\n"
        "string_var = 'abcdefg'\n"
        "integer_var = 86 #type: int\n"
        "input_file = [{'path': '/path/to/file'}] # type: stage-in\n"
        "stdout = 'stdout.txt' # type: stage_out\n"
        "wildcard = 'wildcard_*.log' # type: stage-out  the logs\n"
    )
    assert read_parameters(write(tmp_path, source)) == [
        param("input_1", "float", 12.5),
        param("string_var", "string", "abcdefg"),
        param("integer_var", "int", 86),
        param("input_file", "stage_in", [{"path": "/path/to/file"}]),
        param("stdout", "stage_out", "stdout.txt"),
        param("wildcard", "stage_out", "wildcard_*.log", "the logs"),
    ]


@pytest.mark.parametrize(
    ("hint", "default", "kind", "value"),
    [
        ("int", "3", "int", 3),
        ("integer", "-4", "int", -4),
        ("float", "2.5", "float", 2.5),
        ("float", "3", "float", 3.0),  # an int default for a float is fine, as a float
        ("double", "7", "double", 7.0),
        ("bool", "True", "boolean", True),
        ("boolean", "False", "boolean", False),
        ("str", "'a'", "string", "a"),
        ("string", '"b"', "string", "b"),
        ("file", "'in.csv'", "File", "in.csv"),
        ("directory", "'data/'", "Directory", "data/"),
        ("stage-in", "[{'path': 'a.csv'}]", "stage_in", [{"path": "a.csv"}]),
        ("stage_in", "[]", "stage_in", []),
        ("stage-out", "'*.png'", "stage_out", "*.png"),
        ("stage_out", "'report.html'", "stage_out", "report.html"),
        ("any", "[1, {'a': 2}]", "any", [1, {"a": 2}]),
    ],
)
def test_each_hint_spelling(tmp_path: Path, hint: str, default: str, kind: str, value: Any) -> None:
    parameter = read_one(tmp_path, f"x = {default}  # type: {hint}  the help\n")
    assert parameter == NotebookParameter("x", kind, value, False, "the help")
    assert type(parameter.default) is type(value)


def test_every_kind_has_a_spelling() -> None:
    assert sorted(set(HINTS.values())) == sorted(KINDS)


@pytest.mark.parametrize(
    ("line", "kind", "help_text"),
    [
        ("n = 3 #type:int", "int", ""),  # no space: papermill reads it
        ("n = 3  #   type:    int    spaced  out", "int", "spaced  out"),
        ("n = 3  # type: INT", "int", ""),  # case: papermill keeps it, MAAP lowercases it
        ("n: int = 3", "int", ""),  # an annotation is papermill's hint too
        ("n: 'int' = 3  # help", "int", "help"),
        ("n = 3  # int", "int", ""),  # MAAP takes a bare hint word (papermill's help) as the hint
        ("n = 3  # Float", "float", ""),
        ("n = 3  # how many", "float", "how many"),
    ],
)
def test_how_papermill_and_maap_read_hints(tmp_path: Path, line: str, kind: str, help_text: str) -> None:
    parameter = read_one(tmp_path, line)
    assert (parameter.kind, parameter.help) == (kind, help_text)


@pytest.mark.parametrize(
    ("default", "kind", "value"),
    [
        ("'abc'", "string", "abc"),
        ('"abc"', "string", "abc"),
        ("''", "string", ""),
        ("True", "boolean", True),
        ("False", "boolean", False),
        ("3", "float", 3.0),  # MAAP: a number without a hint is a float, even an integer
        ("-2.5", "float", -2.5),
        ("1e3", "float", 1000.0),
    ],
)
def test_no_hint_follows_maap(tmp_path: Path, default: str, kind: str, value: Any) -> None:
    parameter = read_one(tmp_path, f"x = {default}")
    assert (parameter.kind, parameter.default, type(parameter.default), parameter.optional) == (
        kind,
        value,
        type(value),
        False,
    )


def test_none_without_hint_is_an_optional_any(tmp_path: Path) -> None:
    assert read_one(tmp_path, "x = None") == NotebookParameter("x", "any", None, True, "")


@pytest.mark.parametrize("hint", ["int", "float", "boolean", "string", "file", "directory", "stage-in", "any"])
def test_none_with_hint_is_optional_of_that_type(tmp_path: Path, hint: str) -> None:
    assert read_one(tmp_path, f"x = None  # type: {hint}") == NotebookParameter("x", HINTS[hint], None, True, "")


def test_cell_order_comments_and_statements_before_parameters(tmp_path: Path) -> None:
    source = (
        "# Parameters\n"
        "import os\n"
        "\n"
        "zeta = 1  # type: int\n"
        "alpha = [\n"
        "    {'path': 'a.csv'},  # comments inside a value are dropped\n"
        "]  # type: stage-in  the tables\n"
        "beta = 'b'\n"
    )
    assert read_parameters(write(tmp_path, source, before=("x = 'an ordinary cell'",))) == [
        param("zeta", "int", 1),
        param("alpha", "stage_in", [{"path": "a.csv"}], "the tables"),
        param("beta", "string", "b"),
    ]


def test_notebook_as_jupyter_saves_it(tmp_path: Path) -> None:
    """Source as a list of lines, nbformat 4.4 without cell ids: the shape of most committed notebooks."""
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": ["injected-parameters", "parameters"]},
        "outputs": [],
        "source": ["threshold = 0.5  # cut-off\n", "table = 'in.csv'  # type: file"],
    }
    path = tmp_path / "process.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": PYTHON, "nbformat": 4, "nbformat_minor": 4}))
    assert read_parameters(path) == [param("threshold", "float", 0.5, "cut-off"), param("table", "File", "in.csv")]


# --- bad notebooks: one line each -----------------------------------------------------------------------------

ERRORS = [
    pytest.param(
        "x = 1  # type: number",
        f":parameters.x: expected a type hint among {ALL_HINTS}, found 'number'",
        id="unknown-hint",
    ),
    pytest.param(
        "x: list[int] = [1]",
        f":parameters.x: expected a type hint among {ALL_HINTS}, found 'list[int]'",
        id="unknown-annotation",
    ),
    pytest.param(
        "x = 1  # Type: int",
        ":parameters.x: expected a hint papermill reads ('# type: int'), found '# Type: int'",
        id="hint-papermill-does-not-read",
    ),
    pytest.param(
        "x = 1  # type : int",
        ":parameters.x: expected a hint papermill reads ('# type: int'), found '# type : int'",
        id="hint-with-space-before-colon",
    ),
    pytest.param(
        "out = 12  # type: stage-out",
        ":parameters.out: expected a string glob pattern for a stage-out parameter, found 12",
        id="stage-out-number",
    ),
    pytest.param(
        "out = None  # type: stage_out",
        ":parameters.out: expected a string glob pattern for a stage-out parameter, found None",
        id="stage-out-none",
    ),
    pytest.param(
        "x = 1\ny = 2\n\nx = 3\n",
        ":parameters.x: expected each parameter once, found 'x' twice (lines 1 and 4 of the parameters cell)",
        id="duplicate",
    ),
    pytest.param(
        "x = 1\nx = 2\nx: int = 3\n",
        ":parameters.x: expected each parameter once, found 'x' 3 times (lines 1, 2 and 3 of the parameters cell)",
        id="duplicate-thrice",
    ),
    pytest.param(
        "x = 1\nx += 1\n",
        ":parameters.x: expected each parameter once, found 'x' twice (lines 1 and 2 of the parameters cell)",
        id="duplicate-augmented",
    ),
    pytest.param(
        "import os\nx = os.getcwd()",
        ":parameters.x: expected a literal default (a string, number, True/False, None, list or dict), "
        "found 'os.getcwd()' as papermill reads it",
        id="non-literal",
    ),
    pytest.param(
        "x = 1\ny = 2\nprint(x)",  # papermill glues a line without '=' to the parameter above it: '2print(x)'
        ":parameters.y: expected only assignments after the first parameter, found another statement on line 3 "
        "(papermill would read it as part of the default of 'y')",
        id="statement-after-parameter",
    ),
    pytest.param(
        "s = 'a#b'",
        ":parameters.s: expected a literal default (a string, number, True/False, None, list or dict), "
        'found "\'a" as papermill reads it',
        id="hash-in-string",
    ),
    pytest.param(
        "n = 'a'  # type: int",
        ":parameters.n: expected an integer or None for a parameter typed int, found 'a'",
        id="int-given-string",
    ),
    pytest.param(
        "n = 1.5  # type: int",
        ":parameters.n: expected an integer or None for a parameter typed int, found 1.5",
        id="int-given-float",
    ),
    pytest.param(
        "x = True  # type: float",
        ":parameters.x: expected a number or None for a parameter typed float, found True",
        id="float-given-bool",
    ),
    pytest.param(
        "b = 1  # type: bool",
        ":parameters.b: expected True or False or None for a parameter typed boolean, found 1",
        id="bool-given-int",
    ),
    pytest.param(
        "s = 12  # type: string",
        ":parameters.s: expected a string or None for a parameter typed string, found 12",
        id="string-given-int",
    ),
    pytest.param(
        "f = 3  # type: file",
        ":parameters.f: expected a path string or None for a parameter typed File, found 3",
        id="file-given-int",
    ),
    pytest.param(
        "i = 'a.csv'  # type: stage-in",
        ":parameters.i: expected a list of {'path': ...} dicts or None for a parameter typed stage-in, found 'a.csv'",
        id="stage-in-given-string",
    ),
    pytest.param(
        "i = ['a.csv']  # type: stage_in",
        ":parameters.i: expected a list of {'path': ...} dicts or None for a parameter typed stage-in, "
        "found ['a.csv']",
        id="stage-in-given-paths",
    ),
    pytest.param(
        "x = ['a']",
        ":parameters.x: expected a '# type:' hint for a default that is not a string, number, True/False or None, "
        "found ['a']",
        id="list-without-hint",
    ),
    pytest.param(
        "s = 'a=b'",
        ":parameters.s: expected a line papermill reads as a parameter (`name = value`, one '=' on the line), "
        "found line 1 skipped by papermill",
        id="two-equals",
    ),
    pytest.param(
        "x = 1\na, b = 1, 2",
        ":parameters.a: expected a line papermill reads as a parameter (`name = value`, one '=' on the line), "
        "found line 2 skipped by papermill",
        id="tuple-assignment",
    ),
    pytest.param(
        "d = dict(\n    a=1,\n)",
        ":parameters.a: expected parameters assigned at the top level of the parameters cell, "
        "found 'a' read by papermill from inside another statement",
        id="keyword-on-continuation-line",
    ),
    pytest.param(
        "if True:\n    q = 1\n",
        ":parameters.q: expected parameters assigned at the top level of the parameters cell, "
        "found 'q' read by papermill from inside another statement",
        id="nested",
    ),
    pytest.param(
        "%matplotlib inline\nx = 1",
        ": expected Python code in the parameters cell, found on line 1: invalid syntax",
        id="magic",
    ),
]


@pytest.mark.parametrize(("source", "message"), ERRORS)
def test_bad_parameters_cell(tmp_path: Path, source: str, message: str) -> None:
    assert refusal(tmp_path, source) == message


def refused_notebook(path: Path) -> str:
    with pytest.raises(UserError) as caught:
        read_parameters(path)
    assert caught.value.where == str(path)
    assert "\n" not in str(caught.value)
    return caught.value.message


def test_no_parameters_cell(tmp_path: Path) -> None:
    path = tmp_path / "process.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")], metadata=PYTHON), path)
    assert refused_notebook(path) == "expected a cell tagged 'parameters' (papermill's parameters cell), found none"


def test_two_parameters_cells(tmp_path: Path) -> None:
    """papermill injects after the first and would let the second overwrite what it injected."""
    tagged = {"tags": ["parameters"]}
    cells = [new_code_cell("x = 1", metadata=tagged), new_code_cell("pass"), new_code_cell("y = 2", metadata=tagged)]
    path = tmp_path / "process.ipynb"
    nbformat.write(new_notebook(cells=cells, metadata=PYTHON), path)
    assert refused_notebook(path) == "expected one cell tagged 'parameters', found 2 (cells 1 and 3, counting from 1)"


def test_markdown_parameters_cell(tmp_path: Path) -> None:
    path = tmp_path / "process.ipynb"
    cells = [new_markdown_cell("x = 1", metadata={"tags": ["parameters"]})]
    nbformat.write(new_notebook(cells=cells, metadata=PYTHON), path)
    assert refused_notebook(path) == "expected the cell tagged 'parameters' to be a code cell, found a markdown cell"


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("{not json", "Notebook does not appear to be JSON: '{not json'"),
        ("[]", "Notebook JSON is not an object"),
        (
            '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}}',
            "The notebook is invalid and is missing an expected key: cells",
        ),
        ('{"nbformat": 4, "metadata": {}, "cells": []}', "'nbformat_minor' is a required property"),
        (
            '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", "source": "x = 1",'
            ' "metadata": {"tags": "parameters"}, "outputs": [], "execution_count": null}]}',
            "'parameters' is not of type 'array'",
        ),
    ],
)
def test_invalid_notebook_json(tmp_path: Path, text: str, first_line: str) -> None:
    path = tmp_path / "process.ipynb"
    path.write_text(text)
    assert refused_notebook(path) == f"expected a valid Jupyter notebook (nbformat): {first_line}"


def test_missing_notebook(tmp_path: Path) -> None:
    path = tmp_path / "absent.ipynb"
    assert refused_notebook(path).startswith("expected a readable notebook file, found: [Errno 2] No such file")


def test_notebook_without_kernelspec(tmp_path: Path) -> None:
    path = write(tmp_path, "x = 1", metadata={})
    assert refused_notebook(path) == (
        "expected a notebook papermill can inspect, found: No kernel name found in notebook and no override provided."
    )


def test_r_notebook(tmp_path: Path) -> None:
    metadata = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}, "language_info": {"name": "R"}}
    path = write(tmp_path, "x <- 1", metadata=metadata)
    assert refused_notebook(path) == "expected a Python notebook, found language 'R'"


# --- coerce ----------------------------------------------------------------------------------------------------

COERCED = [
    (param("n", "int", 1), 12, 12),
    (param("n", "int", 1), 12.0, 12),  # JSON's 12.0, as polygear.core.bind accepts it
    (param("x", "float", 1.0), 3, 3.0),
    (param("x", "double", 1.0), 2.5, 2.5),
    (param("b", "boolean", True), False, False),
    (param("b", "boolean", True), "true", True),  # papermill's `-p b true` arrives as the string "true"
    (param("b", "boolean", True), "False", False),
    (param("s", "string", "a"), "abc", "abc"),
    (param("s", "string", "a"), 12, "12"),  # papermill's `-p s 12` arrives as 12
    (param("s", "string", "a"), 1.5, "1.5"),
    (param("s", "string", "a"), True, "True"),
    (param("f", "File", "a"), Path("/data/in.csv"), "/data/in.csv"),
    (param("d", "Directory", "a"), "/data", "/data"),
    (param("out", "stage_out", "*.txt"), "x_*.txt", "x_*.txt"),
    (param("a", "any"), [1, {"k": None}], [1, {"k": None}]),
    (param("a", "any", "x"), None, None),
    (param("n", "int"), None, None),  # optional
    (param("i", "stage_in"), None, None),
]


@pytest.mark.parametrize(("parameter", "value", "expected"), COERCED)
def test_coerce(parameter: NotebookParameter, value: Any, expected: Any) -> None:
    result = coerce(parameter, value)
    assert (result, type(result)) == (expected, type(expected))


REFUSED = [
    (param("n", "int", 1), "abc", "parameters.n: expected an integer, found 'abc'"),
    (param("n", "int", 1), "12", "parameters.n: expected an integer, found '12'"),
    (param("n", "int", 1), 1.5, "parameters.n: expected an integer, found 1.5"),
    (param("n", "int", 1), True, "parameters.n: expected an integer, found True"),
    (param("n", "int", 1), None, "parameters.n: expected an integer, found None"),
    (param("x", "float", 1.0), "1.5", "parameters.x: expected a number, found '1.5'"),
    (param("x", "double", 1.0), False, "parameters.x: expected a number, found False"),
    (param("b", "boolean", True), 1, "parameters.b: expected a boolean (True/False), found 1"),
    (param("b", "boolean", True), "yes", "parameters.b: expected a boolean (True/False), found 'yes'"),
    (param("s", "string", "a"), ["a"], "parameters.s: expected a string, found ['a']"),
    (param("f", "File", "a"), 3, "parameters.f: expected a file path, found 3"),
    (param("f", "File", "a"), "", "parameters.f: expected a file path, found ''"),
    (param("d", "Directory", "a"), None, "parameters.d: expected a directory path, found None"),
    (param("i", "stage_in", []), 3, "parameters.i: expected a list of file paths, found 3"),
    (param("i", "stage_in", []), [3], "parameters.i: expected a list of file paths, found [3]"),
    (param("out", "stage_out", "*"), 12, "parameters.out: expected a string glob pattern, found 12"),
]


@pytest.mark.parametrize(("parameter", "value", "message"), REFUSED)
def test_coerce_refuses(parameter: NotebookParameter, value: Any, message: str) -> None:
    with pytest.raises(UserError) as caught:
        coerce(parameter, value)
    assert str(caught.value) == message


def test_coerce_stage_in_makes_cwl_file_objects(tmp_path: Path) -> None:
    """As MAAP injects staged files: a list of CWL File objects whose `path` the notebook reads."""
    staged = param("input_file", "stage_in", [])
    first = tmp_path / "0_boundaries.geojson"
    assert coerce(staged, [first, str(tmp_path / "b.tar.gz")]) == [
        {
            "class": "File",
            "location": first.as_uri(),
            "path": str(first),
            "basename": "0_boundaries.geojson",
            "dirname": str(tmp_path),
            "nameroot": "0_boundaries",
            "nameext": ".geojson",
        },
        {
            "class": "File",
            "location": (tmp_path / "b.tar.gz").as_uri(),
            "path": str(tmp_path / "b.tar.gz"),
            "basename": "b.tar.gz",
            "dirname": str(tmp_path),
            "nameroot": "b.tar",
            "nameext": ".gz",
        },
    ]
    assert [f["path"] for f in coerce(staged, str(first))] == [str(first)]  # one file per manifest input
    already = [{"class": "File", "path": "/var/lib/cwl/x.csv"}]
    assert coerce(staged, already) == already


def test_papermill_passes_values_untyped_and_coerce_fixes_it(tmp_path: Path) -> None:
    """The pitfall itself: papermill injects 12 for a string parameter; coerce makes it '12' again."""
    path = write(tmp_path, "label = 'x'  # type: string\n")
    (label,) = read_parameters(path)
    seen = {}
    for name, value in (("raw", 12), ("coerced", coerce(label, 12))):
        out = tmp_path / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[-1].source = f"open({str(tmp_path / name)!r}, 'w').write(type(label).__name__)"
        nbformat.write(nb, out)
        papermill.execute_notebook(
            str(out), str(out), parameters={"label": value}, kernel_name="python3", progress_bar=False
        )
        seen[name] = (tmp_path / name).read_text()
    assert seen == {"raw": "int", "coerced": "str"}


# --- manifest --------------------------------------------------------------------------------------------------

PARAMS = [
    param("bins", "int", 20, "Histogram bins."),
    param("threshold", "float", 0.5),
    param("scale", "double", 2.0),
    param("debug", "boolean", False),
    param("label", "string", "run"),
    param("note", "any"),
    param("limit", "int"),
    param("table", "File", "in.csv", "The table to profile."),
    param("extra", "File"),
    param("granules", "stage_in", [{"path": "/path/to/file"}]),
    param("report", "stage_out", "*_report.html", "The report."),
    param("logs", "stage_out", "*.log"),
]
SECTIONS: dict[str, dict[str, Any]] = {
    "config": {
        "bins": {"type": "integer", "default": 20, "description": "Histogram bins."},
        "threshold": {"type": "number", "default": 0.5, "description": "Notebook parameter threshold (float)."},
        "scale": {"type": "number", "default": 2.0, "description": "Notebook parameter scale (double)."},
        "debug": {"type": "boolean", "default": False, "description": "Notebook parameter debug (boolean)."},
        "label": {"type": "string", "default": "run", "description": "Notebook parameter label (string)."},
        "note": {"type": "string", "optional": True, "description": "Notebook parameter note (any)."},
        "limit": {"type": "integer", "optional": True, "description": "Notebook parameter limit (int)."},
    },
    "inputs": {
        "table": {"base": "file", "description": "The table to profile."},
        "extra": {
            "base": "file",
            "optional": True,
            "description": "The extra file (a notebook parameter, given as its path).",
        },
        "granules": {
            "base": "file",
            "description": "The granules file, staged in as a one-item list of CWL File objects (MAAP's stage-in).",
        },
    },
    "outputs": {
        "report": {"glob": "*_report.html", "description": "The report."},
        "logs": {"glob": "*.log", "description": "Files matching *.log."},
    },
}


def test_manifest_sections() -> None:
    assert manifest_sections(PARAMS) == SECTIONS


def test_manifest_sections_from_a_notebook(tmp_path: Path) -> None:
    source = "n = 86 #type: int\nx = 12.5\nf = None  # type: file  a table\nout = 'o.txt'  # type: stage-out\n"
    assert manifest_sections(read_parameters(write(tmp_path, source))) == {
        "config": {
            "n": {"type": "integer", "default": 86, "description": "Notebook parameter n (int)."},
            "x": {"type": "number", "default": 12.5, "description": "Notebook parameter x (float)."},
        },
        "inputs": {"f": {"base": "file", "optional": True, "description": "a table"}},
        "outputs": {"out": {"glob": "o.txt", "description": "Files matching o.txt."}},
    }


def test_manifest_refuses_a_directory() -> None:
    with pytest.raises(UserError) as caught:
        manifest_sections([param("x", "float", 1.0), param("data", "Directory", "data/")])
    assert str(caught.value) == (
        "parameters.data: expected a value or a file, found a directory parameter (manifest inputs are files)"
    )


def test_manifest_refuses_an_any_with_a_non_string_default() -> None:
    with pytest.raises(UserError) as caught:
        manifest_sections([param("x", "any", [1, 2])])
    assert str(caught.value) == (
        "parameters.x: expected a string or None default for an any parameter (passed as a string), found [1, 2]"
    )


def manifest() -> dict[str, Any]:
    """A hand-written manifest that agrees with PARAMS (other descriptions, extras the check ignores)."""
    config = {name: dict(d, description="Hand-written.") for name, d in SECTIONS["config"].items()}
    config["threshold"]["minimum"] = 0
    config["scale"]["default"] = 2  # 2 and 2.0 are the same number
    inputs: dict[str, Any] = {name: dict(d) for name, d in SECTIONS["inputs"].items()}
    inputs["table"]["type"] = {"enum": ["tabular data"]}
    inputs["key"] = {"base": "api-key", "read-only": True}
    outputs: dict[str, Any] = {"report": {"glob": "*_report.html", "description": "Other words."}, "logs": "*.log"}
    return {"name": "nb-tool", "config": config, "inputs": inputs, "custom": {"polygear": {"outputs": outputs}}}


def test_no_disagreements_with_an_agreeing_manifest() -> None:
    assert disagreements(PARAMS, manifest()) == []


def test_disagreements() -> None:
    data = manifest()
    data["config"]["bins"]["type"] = "number"
    data["config"]["threshold"]["default"] = 0.25
    data["config"]["debug"]["default"] = 0  # not False
    data["config"]["label"]["optional"] = True
    del data["config"]["note"]
    data["config"]["verbose"] = {"type": "boolean", "default": False}
    data["config"]["limit"]["default"] = 5
    data["inputs"]["extra"]["optional"] = False
    del data["inputs"]["granules"]
    data["inputs"]["mask"] = {"base": "file"}
    data["custom"]["polygear"]["outputs"]["logs"] = {"glob": "*.txt"}
    del data["custom"]["polygear"]["outputs"]["report"]
    data["custom"]["polygear"]["outputs"]["plots"] = "*.png"
    assert disagreements(PARAMS, data) == [
        ("config.bins.type", '"integer"', '"number"'),
        ("config.threshold.default", "0.5", "0.25"),
        ("config.debug.default", "false", "0"),
        ("config.label.optional", "false", "true"),
        ("config.note", "present", "absent"),
        ("config.limit.default", "absent", "5"),
        ("config.verbose", "absent", "present"),
        ("inputs.extra.optional", "true", "false"),
        ("inputs.granules", "present", "absent"),
        ("inputs.mask", "absent", "present"),
        ("custom.polygear.outputs.report", "present", "absent"),
        ("custom.polygear.outputs.logs.glob", '"*.log"', '"*.txt"'),
        ("custom.polygear.outputs.plots", "absent", "present"),
    ]


def test_disagreements_with_a_manifest_without_sections() -> None:
    assert disagreements([param("n", "int", 1), param("o", "stage_out", "*.csv")], {"name": "bare"}) == [
        ("config.n", "present", "absent"),
        ("custom.polygear.outputs.o", "present", "absent"),
    ]
