"""column-report (a notebook tool) as a STELAR KLMS tool through the real run.sh (local S3 and KLMS API)."""

from __future__ import annotations

import json
from pathlib import Path

from polygear.testing.klms import KlmsApi, minio_block, minio_client, run_task, s3_server

DATA = Path(__file__).resolve().parents[2] / "data"


def test_runs_as_klms_tool() -> None:
    with s3_server() as s3:
        mc = minio_client(s3)
        mc.make_bucket("lake")
        mc.fput_object("lake", "raw/measurements.csv", str(DATA / "measurements.csv"))
        doc = {
            "inputs": {"table": ["lake/raw/measurements.csv"]},
            "outputs": {"summary": "lake/reports/weight.json", "plot": "lake/reports/", "notebook": "lake/reports/"},
            "parameters": {"column": "weight_kg", "bins": 6},
            "minio": minio_block(s3),
        }
        api = KlmsApi(result=doc)
        run = run_task(api, "pex/column-report.pex", "gears/column-report/src/docker")
        assert run.returncode == 0, run.stderr
        (posted,) = api.posted
        assert posted["status"] == "success"
        assert posted["outputs"] == {
            "summary": "lake/reports/weight.json",
            "plot": "lake/reports/",
            "notebook": "lake/reports/",
        }
        assert api.refused == []
        summary = json.loads(mc.get_object("lake", "reports/weight.json").read())
        assert (summary["column"], summary["count"], summary["missing"]) == ("weight_kg", 38, 2)
        assert mc.get_object("lake", "reports/histogram.png").read().startswith(b"\x89PNG")
        executed = json.loads(mc.get_object("lake", "reports/executed.ipynb").read())
        injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
        assert "bins = 6\n" in "".join(injected["source"])
