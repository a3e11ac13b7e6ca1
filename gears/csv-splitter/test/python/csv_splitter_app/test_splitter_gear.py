"""csv-splitter through its built pex and image, the way Flywheel runs it."""

from __future__ import annotations

import subprocess
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
    # rows are copied as written: the input quotes this value, so does the output
    assert (run.output_dir / "visits_San_Francisco.csv").read_text().splitlines()[-1] == 'S006,"San Francisco",2,'
    assert "with the vectorised reader" in run.stdout + run.stderr
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
    # the pex carries wheels for x86_64 and aarch64; the image keeps only those its venv uses
    wheels = subprocess.run(
        [engine, "run", "--rm", "--entrypoint", "sh", tag, "-c", "uname -m; ls /opt/pex-root/installed_wheels/*"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    arch, numpy = wheels[0], [w for w in wheels if w.startswith("numpy-")]
    assert len(numpy) == 1 and arch in numpy[0], wheels


# Hostile-input review, through the built pex: one test per class of bug.


def test_pex_values_differing_only_in_case_get_distinct_files(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=site"], [f"table={DATA / 'visits_case.csv'}"])
    assert run.returncode == 0, run.stderr
    assert run.outputs() == ["visits_case_BOSTON-3.csv", "visits_case_Boston.csv", "visits_case_boston-2.csv"]
    assert (run.output_dir / "visits_case_boston-2.csv").read_text().splitlines() == [
        "subject,site,visit",
        "S002,boston,1",
        "S002,boston,2",
    ]


def test_pex_hostile_pattern_is_refused_and_long_names_are_capped(tmp_path: Path) -> None:
    table = f"table={DATA / 'visits.csv'}"
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "spec", ["column=site", "output_pattern={value:.<300}"], [table])
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: config.output_pattern: field {value:.<300} has a format spec; use the plain field {value}"
    )
    assert run.outputs() == []
    assert not list(run.gear_dir.glob(".polygear-staging-*"))

    long_input = tmp_path / "in" / ("s" * 240 + ".csv")
    long_input.parent.mkdir()
    long_input.write_text("id,k\n1," + "v" * 99 + "1\n2," + "v" * 99 + "2\n", encoding="utf-8")
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "long", ["column=k"], [f"table={long_input}"])
    assert run.returncode == 0, run.stderr
    names = run.outputs()
    assert len(names) == 2 and all(len(n.encode()) == 255 and n.endswith(".csv") for n in names)
    assert sorted((run.output_dir / n).read_text().splitlines()[1][0] for n in names) == ["1", "2"]


def test_pex_duplicated_key_column_is_one_line_error(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["column=site"], [f"table={DATA / 'visits_dup_site.csv'}"])
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: config.column: column 'site' appears more than once in the header of visits_dup_site.csv "
        "(positions 2 and 3); rename one of them"
    )
    assert run.outputs() == []
    assert not list(run.gear_dir.glob(".polygear-staging-*"))


def test_pex_dot_named_input_gives_visible_outputs(tmp_path: Path) -> None:
    """An input named `..csv` (stem ".") gave hidden `._Boston.csv`-style names."""
    dotted = tmp_path / "in" / "..csv"
    dotted.parent.mkdir()
    dotted.write_bytes((DATA / "visits.csv").read_bytes())
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "run", ["column=site"], [f"table={dotted}"])
    assert run.returncode == 0, run.stderr
    assert run.outputs() == ["_Boston.csv", "_Chicago.csv", "_San_Francisco.csv"]
    assert (run.output_dir / "_Chicago.csv").read_text().splitlines()[0] == "subject,site,visit,score"


def test_the_ccp_method_gives_the_same_outputs_as_the_flywheel_run(tmp_path: Path) -> None:
    """ccp_methods/csv-splitter.json through the local CCP executor (fetch by URL, /bin/run = this pex)."""
    from polygear.testing.ccp import run_method_locally

    flywheel = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "fw", ["column=site"], [f"table={DATA / 'visits.csv'}"])
    assert flywheel.returncode == 0, flywheel.stderr
    out = run_method_locally(
        Path("ccp_methods/csv-splitter.json"),
        tool_pex(TOOL),
        MANIFEST,
        tmp_path / "ccp",
        {"column": "site"},
        {"table": DATA / "visits.csv"},
    )
    ccp_files = sorted(p.name for p in out.iterdir())
    assert ccp_files == flywheel.outputs()
    for name in ccp_files:
        assert (out / name).read_bytes() == (flywheel.output_dir / name).read_bytes()


def test_the_ccp_method_runs_in_the_tool_image(tmp_path: Path) -> None:
    """The CCP lifecycle with a real container: Launch creates it from ccpimage (the image under test)."""
    from polygear.testing.ccp import run_method_locally

    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/csv-splitter-ccp:under-test"
    build_tool_image(engine, TOOL, tag)
    out = run_method_locally(
        Path("ccp_methods/csv-splitter.json"),
        tool_pex(TOOL),
        MANIFEST,
        tmp_path / "ccp",
        {"column": "site"},
        {"table": DATA / "visits.csv"},
        image=tag,
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "visits_Boston.csv",
        "visits_Chicago.csv",
        "visits_San_Francisco.csv",
    ]
