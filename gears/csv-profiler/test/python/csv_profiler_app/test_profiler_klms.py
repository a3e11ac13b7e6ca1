"""csv-profiler as a STELAR KLMS tool through the real run.sh (local S3 and KLMS API servers)."""

from __future__ import annotations

import json
from pathlib import Path

from polygear.testing.klms import KlmsApi, minio_block, minio_client, run_task, s3_server

DATA = Path(__file__).resolve().parents[2] / "data"


def test_runs_as_klms_tool() -> None:
    with s3_server() as s3:
        mc = minio_client(s3)
        mc.make_bucket("lake")
        mc.fput_object("lake", "raw/visits.csv", str(DATA / "visits.csv"))
        doc = {
            "inputs": {"table": ["lake/raw/visits.csv"]},
            "outputs": {"profile": "lake/profiles/visits.json", "report": "lake/profiles/"},
            "parameters": {"bins": 10},
            "minio": minio_block(s3),
        }
        api = KlmsApi(result=doc)
        run = run_task(api, "pex/csv-profiler.pex", "gears/csv-profiler/src/docker")
        assert run.returncode == 0, run.stderr
        (posted,) = api.posted
        assert posted["status"] == "success"
        # A single file to a key posts the key; a prefix target posts the prefix (files in the metrics).
        assert posted["outputs"] == {"profile": "lake/profiles/visits.json", "report": "lake/profiles/"}
        assert posted["metrics"]["output_files"]["report"] == ["lake/profiles/visits_profile.html"]
        assert api.refused == []
        assert posted["metrics"]["rows"] == 30
        profile = json.loads(mc.get_object("lake", "profiles/visits.json").read())
        assert profile["source"] == "visits.csv"
