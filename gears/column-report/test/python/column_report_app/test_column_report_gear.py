"""column-report through its built pex (Flywheel and command-line modes) and its image."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
from pathlib import Path

import pytest

from polygear.testing.flywheel import run_image, run_pex
from polygear.testing.images import build_tool_image, container_engine, tool_pex

MANIFEST = Path("gears/column-report/src/docker/manifest.json")
TOOL = "column-report"
DATA = Path(__file__).resolve().parents[2] / "data"
PNG = b"\x89PNG\r\n\x1a\n"


def expected_summary(column: str) -> dict[str, float]:
    with (DATA / "measurements.csv").open(newline="") as handle:
        texts = [row[column].strip() for row in csv.DictReader(handle)]
    values = sorted(float(t) for t in texts if t)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"count": len(values), "missing": texts.count(""), "mean": statistics.fmean(values), "median": median}


def test_summary_plot_and_executed_notebook(tmp_path: Path) -> None:
    run = run_pex(
        tool_pex(TOOL), MANIFEST, tmp_path, ["column=weight_kg", "bins=8"], [f"table={DATA / 'measurements.csv'}"]
    )
    assert run.returncode == 0, run.stderr
    assert run.outputs() == ["executed.ipynb", "histogram.png", "summary.json"]
    summary = json.loads((run.output_dir / "summary.json").read_text())
    expected = expected_summary("weight_kg")
    assert summary["column"] == "weight_kg"
    assert (summary["count"], summary["missing"]) == (expected["count"], expected["missing"]) == (38, 2)
    assert summary["mean"] == pytest.approx(expected["mean"])
    assert summary["median"] == pytest.approx(expected["median"])
    assert (run.output_dir / "histogram.png").read_bytes().startswith(PNG)
    executed = json.loads((run.output_dir / "executed.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    source = "".join(injected[0]["source"])
    assert 'column = "weight_kg"' in source and "bins = 8\n" in source  # typed: an int, not "8"


def test_string_parameter_given_a_number_stays_a_string(tmp_path: Path) -> None:
    """papermill would inject `title = 12` (an int); the tool injects the declared type."""
    run = run_pex(
        tool_pex(TOOL), MANIFEST, tmp_path, ["column=weight_kg", "title=12"], [f"table={DATA / 'measurements.csv'}"]
    )
    assert run.returncode == 0, run.stderr
    executed = json.loads((run.output_dir / "executed.ipynb").read_text())
    injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'title = "12"' in "".join(injected["source"])


def test_failing_cell_is_one_line_and_publishes_nothing(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=weight_kg"], [f"table={DATA / 'not_numeric.csv'}"])
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("error: process.ipynb:cell ")
    assert last.endswith("the notebook raised ValueError: line 3: weight_kg = 'heavy' is not a number")
    assert [p for p in run.output_dir.iterdir() if p.name != ".metadata.json"] == []


def test_unknown_column_names_the_columns(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=height"], [f"table={DATA / 'measurements.csv'}"])
    assert run.returncode == 1
    assert "the notebook raised KeyError" in run.stderr
    assert "its columns are sample, site, weight_kg, note" in run.stderr


def test_command_line_mode(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            str(tool_pex(TOOL)),
            "--output-dir",
            str(tmp_path / "out"),
            "-c",
            "column=weight_kg",
            "-i",
            f"table={DATA / 'measurements.csv'}",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PEX_ROOT": str(tmp_path / "pex_root"), "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["executed.ipynb", "histogram.png", "summary.json"]


def test_image(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/column-report:under-test"
    build_tool_image(engine, TOOL, tag)
    run = run_image(engine, tag, MANIFEST, tmp_path, ["column=weight_kg"], [f"table={DATA / 'measurements.csv'}"])
    assert run.returncode == 0, run.stderr
    assert run.outputs() == ["executed.ipynb", "histogram.png", "summary.json"]
    assert json.loads((run.output_dir / "summary.json").read_text())["count"] == 38
