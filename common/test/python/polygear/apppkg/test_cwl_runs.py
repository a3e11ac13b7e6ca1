"""Each tool's committed CWL package, run by cwltool on the tool's test data, gives the same files
as the Flywheel-style run of the same pex. Validation alone would miss a wrong default, a binding
that drops a value or a glob that misses an output; a run does not.

Without a container (`--no-container`) the built pex stands in for `/bin/run`; with an engine, the
same package runs through the tool's image (built here from the files under test).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from polygear.apppkg.paths import cwl_path
from polygear.core.spec import ToolSpec
from polygear.dev.cwl_run import first_error, job_document, run_package
from polygear.testing.flywheel import run_pex
from polygear.testing.images import build_tool_image, container_engine, tool_pex

# tool -> (-c words, -i words): each tool's test data, with at least one non-default parameter.
CASES = {
    "column-report": (["column=weight_kg", "bins=8"], ["table=gears/column-report/test/data/measurements.csv"]),
    "csv-profiler": (["bins=5", "top_n=3"], ["table=gears/csv-profiler/test/data/visits.csv"]),
    "csv-splitter": (["column=site"], ["table=gears/csv-splitter/test/data/visits.csv"]),
    "schema-validator": (
        ["max_errors=5"],
        [
            "records=gears/schema-validator/test/data/participants_invalid.json",
            "schema=gears/schema-validator/test/data/participant.schema.json",
        ],
    ),
}


def manifest(tool: str) -> Path:
    return Path("gears", tool, "src", "docker", "manifest.json")


def comparable(path: Path) -> bytes:
    """A file's bytes; for an executed notebook, its cells' outputs only.

    papermill records run times in the notebook's metadata, and the injected parameters cell names
    each run's own input path: what must agree between two runs is what every other cell printed.
    """
    if path.suffix != ".ipynb":
        return path.read_bytes()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    kept = [c.get("outputs", []) for c in cells if "injected-parameters" not in c["metadata"].get("tags", [])]
    return json.dumps(kept, sort_keys=True).encode()


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): comparable(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".metadata.json"
    }


@pytest.fixture(autouse=True)
def pex_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """One PEX_ROOT for the pexes cwltool starts (each job gets a fresh HOME)."""
    monkeypatch.setenv("PEX_ROOT", str(tmp_path_factory.getbasetemp() / "pex-root"))


@pytest.mark.parametrize("tool", sorted(CASES))
def test_cwl_run_equals_the_flywheel_run(tool: str, tmp_path: Path) -> None:
    config, inputs = CASES[tool]
    pex = tool_pex(tool)
    spec = ToolSpec.load(manifest(tool))
    flywheel = run_pex(pex, manifest(tool), tmp_path / "fw", config, inputs)
    assert flywheel.returncode == 0, flywheel.stderr
    run = run_package(
        cwl_path(manifest(tool), tool), spec, job_document(spec, config, inputs), tmp_path / "cwl", pex=pex
    )
    assert run.exit_code == 0, run.log
    expected = files_in(flywheel.output_dir)
    assert expected, "the Flywheel run wrote no outputs"
    assert files_in(tmp_path / "cwl") == expected
    declared = {name for name in spec.outputs}
    assert set(run.outputs) == declared
    listed = sorted(Path(f["path"]).name for group in run.outputs.values() for f in group)
    assert listed == sorted(expected)


def test_cwl_run_failure_names_the_tool_error_and_publishes_nothing(tmp_path: Path) -> None:
    tool = "csv-splitter"
    spec = ToolSpec.load(manifest(tool))
    job = job_document(spec, ["column=no_such_column"], CASES[tool][1])
    run = run_package(cwl_path(manifest(tool), tool), spec, job, tmp_path / "cwl", pex=tool_pex(tool))
    assert run.exit_code != 0
    assert run.outputs == {}
    assert first_error(run.log).startswith("error: ")
    assert "no_such_column" in first_error(run.log)
    assert not any(p.is_file() for p in (tmp_path / "cwl").rglob("*"))


def test_command_line_mode_of_the_pex(tmp_path: Path) -> None:
    """`/bin/run --output-dir`: values typed by the manifest bundled in the pex, one-line errors."""
    pex = str(tool_pex("csv-profiler"))
    env = {**os.environ, "PEX_ROOT": os.environ["PEX_ROOT"]}
    data = "table=gears/csv-profiler/test/data/visits.csv"
    bad = subprocess.run(
        [pex, "--output-dir", str(tmp_path / "o"), "-c", "top_n=ten", "-i", data],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines()[-1] == "error: config.top_n: expected an integer, found 'ten'"
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    unknown = subprocess.run(
        [pex, "--output-dir", str(tmp_path / "o"), "-c", "colour=red", "-i", data],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert unknown.returncode == 1
    assert "error: config.colour: unknown config key (the manifest declares: bins, debug," in unknown.stderr
    stray = subprocess.run([pex, "-c", "top_n=3"], capture_output=True, text=True, env=env, check=False)
    assert stray.returncode == 2
    assert "-c and -i belong to the command-line mode: add --output-dir DIR" in stray.stderr
    good = subprocess.run(
        [pex, "--output-dir", str(tmp_path / "ok"), "-c", "top_n=3", "-i", data],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["visits_profile.html", "visits_profile.json"]


@pytest.mark.parametrize("tool", sorted(CASES))
def test_cwl_run_through_the_image(tool: str, tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (Docker or podman): the image run is not possible here")
    spec = ToolSpec.load(manifest(tool))
    tag = f"polygear-test/{tool}:cwl-under-test"
    build_tool_image(engine, tool, tag)
    config, inputs = CASES[tool]
    flywheel = run_pex(tool_pex(tool), manifest(tool), tmp_path / "fw", config, inputs)
    assert flywheel.returncode == 0, flywheel.stderr
    run = run_package(
        cwl_path(manifest(tool), tool),
        spec,
        job_document(spec, config, inputs),
        tmp_path / "cwl",
        engine=engine,
        image=tag,
    )
    assert run.exit_code == 0, run.log
    assert files_in(tmp_path / "cwl") == files_in(flywheel.output_dir)
