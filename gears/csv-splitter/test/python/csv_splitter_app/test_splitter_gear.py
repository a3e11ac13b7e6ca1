"""csv-splitter through its built pex and image, the way Flywheel runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from polygear.testing.flywheel import run_image, run_pex
from polygear.testing.images import build_tool_image, container_engine, tool_pex

MANIFEST = Path("gears/csv-splitter/src/docker/manifest.json")
TOOL = "csv-splitter"
DATA = Path(__file__).resolve().parents[2] / "data"


def test_pex_splits_and_logs_config(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=site"], [f"table={DATA / 'visits.csv'}"])
    assert run.returncode == 0, run.stderr
    assert run.outputs() == ["visits_Boston.csv", "visits_Chicago.csv", "visits_San_Francisco.csv"]
    assert (run.output_dir / "visits_San_Francisco.csv").read_text().splitlines()[-1] == "S006,San Francisco,2,"
    assert "config \"column\" = 'site'" in run.stdout + run.stderr


def test_pex_user_error_is_one_line_exit_1_and_leaves_no_output(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=site"], [f"table={DATA / 'ragged.csv'}"])
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: ragged.csv:4: ragged row: expected 3 fields like the header, found 2"
    )
    assert run.outputs() == []
    assert not list(run.gear_dir.glob(".polygear-staging-*"))


def test_pex_rejects_bad_config_before_work(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=site"], [f"table={DATA / 'visits.csv'}"])
    cfg = run.gear_dir / "config.json"
    cfg.write_text(cfg.read_text().replace('"delimiter": "auto"', '"delimiter": "colon"'))
    for p in run.output_dir.iterdir():
        p.unlink()
    import subprocess

    proc = subprocess.run(
        [str(tool_pex(TOOL)), "--gear-dir", str(run.gear_dir)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith('error: config.delimiter: expected one of "auto", "comma"')
    assert list(run.output_dir.iterdir()) == []


def test_image_runs_the_pex_with_its_manifest(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/csv-splitter:under-test"
    build_tool_image(engine, "csv-splitter", tag)
    run = run_image(
        engine, tag, MANIFEST, tmp_path, ["column=site", "keep_key_column=false"], [f"table={DATA / 'visits.csv'}"]
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs() == ["visits_Boston.csv", "visits_Chicago.csv", "visits_San_Francisco.csv"]
    assert (run.output_dir / "visits_Chicago.csv").read_text().splitlines()[0] == "subject,visit,score"
