"""csv-profiler through its built pex and image, the way Flywheel runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polygear.testing.flywheel import run_image, run_pex
from polygear.testing.images import build_tool_image, container_engine, pex_distributions, tool_pex

MANIFEST = Path("gears/csv-profiler/src/docker/manifest.json")
TOOL = "csv-profiler"
DATA = Path(__file__).resolve().parents[2] / "data"


def test_profile_report_and_metadata(tmp_path: Path) -> None:
    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, ["top_n=3"], [f"table={DATA / 'visits.csv'}"])
    assert run.returncode == 0, run.stderr
    assert run.outputs() == [".metadata.json", "visits_profile.html", "visits_profile.json"]
    profile = json.loads((run.output_dir / "visits_profile.json").read_text())
    assert profile["rows"] == 30
    types = {c["name"]: c["type"] for c in profile["columns"]}
    assert types["visit_date"] == "date" and types["age"] == "integer" and types["weight_kg"] == "float"
    html = (run.output_dir / "visits_profile.html").read_text()
    numeric = [c for c in profile["columns"] if c["type"] in ("integer", "float")]
    assert html.count('<img src="data:image/png;base64,') == len(numeric)
    meta = json.loads((run.output_dir / ".metadata.json").read_text())
    (entry,) = meta["acquisition"]["files"]
    assert entry["name"] == "visits.csv"
    assert entry["info"]["profile"]["rows"] == 30
    assert entry["info"]["profile"]["column_types"] == types


def test_out_of_range_config_is_refused(tmp_path: Path) -> None:
    import subprocess

    run = run_pex(tool_pex(TOOL), MANIFEST, tmp_path, [], [f"table={DATA / 'labs.tsv'}"])
    assert run.returncode == 0, run.stderr
    cfg = run.gear_dir / "config.json"
    doc = json.loads(cfg.read_text())
    doc["config"]["bins"] = 1
    cfg.write_text(json.dumps(doc))
    for p in run.output_dir.iterdir():
        p.unlink()
    proc = subprocess.run(
        [str(tool_pex(TOOL)), "--gear-dir", str(run.gear_dir)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == "error: config.bins: expected a value >= 2, found 1"
    assert list(run.output_dir.iterdir()) == []


def test_image(tmp_path: Path) -> None:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (docker daemon or podman) on this machine")
    tag = "polygear-test/csv-profiler:under-test"
    build_tool_image(engine, "csv-profiler", tag)
    run = run_image(engine, tag, MANIFEST, tmp_path, [], [f"table={DATA / 'labs.tsv'}"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.outputs() == [".metadata.json", "labs_profile.html", "labs_profile.json"]


def test_pex_carries_linux_wheels_for_x86_64_and_aarch64() -> None:
    """complete_platforms: the pex is built for the image's CPython 3.11 on both Linux machines,
    whatever machine built it (a macOS laptop gets the same Linux pex, never macOS wheels)."""
    dists = pex_distributions(tool_pex(TOOL))
    for project in ("numpy", "matplotlib", "pillow"):
        wheels = [d for d in dists if d.lower().startswith(f"{project}-")]
        machines = sorted({m for w in wheels for m in ("x86_64", "aarch64") if f"_{m}" in w})
        assert machines == ["aarch64", "x86_64"], wheels
        assert all("-cp311-" in w and "manylinux" in w for w in wheels), wheels
    assert not [d for d in dists if "macosx" in d or "win_" in d]


def test_the_ccp_method_gives_the_same_outputs_as_the_flywheel_run(tmp_path: Path) -> None:
    """ccp_methods/csv-profiler.json through the local CCP executor (fetch by URL, /bin/run = this pex)."""
    from polygear.testing.ccp import run_method_locally

    flywheel = run_pex(tool_pex(TOOL), MANIFEST, tmp_path / "fw", ["bins=5"], [f"table={DATA / 'labs.tsv'}"])
    assert flywheel.returncode == 0, flywheel.stderr
    out = run_method_locally(
        Path("ccp_methods/csv-profiler.json"),
        tool_pex(TOOL),
        MANIFEST,
        tmp_path / "ccp",
        {"bins": "5"},
        {"table": DATA / "labs.tsv"},
    )
    assert sorted(p.name for p in out.iterdir()) == [n for n in flywheel.outputs() if n != ".metadata.json"]
    name = "labs_profile.json"
    assert json.loads((out / name).read_text()) == json.loads((flywheel.output_dir / name).read_text())
