"""The shipped pipelines compiled to CWL (cwltool --validate) and run end to end with cwltool on their
test data, each step its tool's built pex; a failing step names itself and publishes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polygear.core.errors import UserError
from polygear.dev.apppkg_validate import cwltool_problems
from polygear.dev.pipeline_run import pipeline_job, run_pipeline
from polygear.sd2e.compile import compile_pipeline, render
from polygear.sd2e.definition import resolve, tools_by_image
from polygear.testing.images import build_tool_image, container_engine, tool_pex

TOOLS = tools_by_image(sorted(Path("gears").glob("*/src/docker/manifest.json")))
DATA = Path("pipelines/test/data")


@pytest.fixture(autouse=True)
def pex_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEX_ROOT", str(tmp_path_factory.getbasetemp() / "pex-root"))


def pexes(names: list[str]) -> dict[str, Path]:
    return {name: tool_pex(name) for name in names}


@pytest.mark.parametrize("name", ["csv-quality", "site-reports"])
def test_compiled_workflow_is_valid_cwl(name: str, tmp_path: Path) -> None:
    pipeline = resolve(Path(f"pipelines/{name}.yaml"), TOOLS)
    path = tmp_path / f"{name}.cwl"
    path.write_text(render(compile_pipeline(pipeline)))
    assert cwltool_problems(path, name) == []


def test_csv_quality_end_to_end(tmp_path: Path) -> None:
    pipeline = resolve(Path("pipelines/csv-quality.yaml"), TOOLS)
    job = pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}", f"schema={DATA / 'measurement.schema.json'}"])
    run = run_pipeline(pipeline, job, tmp_path / "out", pexes(["schema-validator", "csv-splitter", "csv-profiler"]))
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert "s0_schema_validator_report/measurements_validation.json" in files
    parts = [f for f in files if f.startswith("s1_csv_splitter_parts/")]
    assert [Path(f).name for f in parts] == [
        "measurements_Boston.csv",
        "measurements_Chicago.csv",
        "measurements_Denver.csv",
    ]
    profiles = sorted(f for f in files if f.startswith("s2_csv_profiler_profile/"))
    assert len(profiles) == 3
    report = json.loads((tmp_path / "out" / "s0_schema_validator_report" / "measurements_validation.json").read_text())
    assert (report["status"], report["records"], report["valid_records"]) == ("valid", 40, 40)
    boston = json.loads(
        next((tmp_path / "out" / "s2_csv_profiler_profile").rglob("measurements_Boston_profile.json")).read_text()
    )
    rows = (tmp_path / "out" / "s1_csv_splitter_parts" / "measurements_Boston.csv").read_text().count("\n") - 1
    assert boston["rows"] == rows
    assert set(run.outputs) == {
        "s0_schema_validator_report",
        "s1_csv_splitter_parts",
        "s2_csv_profiler_profile",
        "s2_csv_profiler_report",
    }


def test_site_reports_end_to_end(tmp_path: Path) -> None:
    pipeline = resolve(Path("pipelines/site-reports.yaml"), TOOLS)
    job = pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}"])
    run_pipeline(pipeline, job, tmp_path / "out", pexes(["csv-splitter", "column-report"]))
    summaries = sorted((tmp_path / "out" / "s1_column_report_summary").rglob("summary.json"))
    assert len(summaries) == 3  # one per site, each in its own folder
    counts = sum(json.loads(p.read_text())["count"] for p in summaries)
    assert counts == 38
    assert len(list((tmp_path / "out" / "s1_column_report_plot").rglob("histogram.png"))) == 3


def test_toil_gives_the_same_files_as_cwltool(tmp_path: Path) -> None:
    pipeline = resolve(Path("pipelines/csv-quality.yaml"), TOOLS)
    job = pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}", f"schema={DATA / 'measurement.schema.json'}"])
    tools = pexes(["schema-validator", "csv-splitter", "csv-profiler"])
    run_pipeline(pipeline, job, tmp_path / "cwltool", tools)
    run_pipeline(pipeline, job, tmp_path / "toil", tools, runner="toil")
    trees = [
        {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        for root in (tmp_path / "cwltool", tmp_path / "toil")
    ]
    assert len(trees[0]) == 10
    assert trees[0] == trees[1]


@pytest.mark.parametrize("runner", ["cwltool", "toil"])
def test_failing_step_is_named_and_nothing_is_published(runner: str, tmp_path: Path) -> None:
    pipeline = resolve(Path("pipelines/site-reports.yaml"), TOOLS)
    bad = tmp_path / "bad.csv"
    bad.write_text("sample,site,weight_kg\nP1,Boston,heavy\n")
    job = pipeline_job(pipeline, [f"table={bad}"])
    with pytest.raises(UserError) as caught:
        run_pipeline(pipeline, job, tmp_path / "out", pexes(["csv-splitter", "column-report"]), runner=runner)
    message = str(caught.value)
    assert message.startswith("pipeline site-reports, step s1_column_report")
    assert (
        "error: process.ipynb:cell 4: the notebook raised ValueError: line 2: weight_kg = 'heavy' is not a number"
        in message
    )
    assert message.endswith("; no outputs were published")
    assert not (tmp_path / "out").exists()


def test_site_reports_through_the_images_equals_the_pexes(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (Docker or podman): the image run is not possible here")
    names = ["csv-splitter", "column-report"]
    images = {name: f"polygear-test/{name}:pipeline-under-test" for name in names}
    for name, tag in images.items():
        build_tool_image(engine, name, tag)
    pipeline = resolve(Path("pipelines/site-reports.yaml"), TOOLS)
    job = pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}"])
    run_pipeline(pipeline, job, tmp_path / "images", engine=engine, images=images)
    run_pipeline(pipeline, job, tmp_path / "pexes", pexes(names))
    for output in ("s0_csv_splitter_parts", "s1_column_report_summary", "s1_column_report_plot"):
        left = {
            p.relative_to(tmp_path / "images").as_posix(): p.read_bytes()
            for p in (tmp_path / "images" / output).rglob("*")
            if p.is_file()
        }
        right = {
            p.relative_to(tmp_path / "pexes").as_posix(): p.read_bytes()
            for p in (tmp_path / "pexes" / output).rglob("*")
            if p.is_file()
        }
        assert left and left == right, output


def test_missing_or_unknown_pipeline_inputs(tmp_path: Path) -> None:
    pipeline = resolve(Path("pipelines/csv-quality.yaml"), TOOLS)
    with pytest.raises(UserError, match=r"inputs.schema: required pipeline input is missing \(give -i schema=PATH\)"):
        pipeline_job(pipeline, [f"table={DATA / 'measurements.csv'}"])
    with pytest.raises(UserError, match="inputs.colour: unknown pipeline input"):
        pipeline_job(pipeline, ["colour=x"])
