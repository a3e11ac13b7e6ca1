"""schema-validator as a STELAR KLMS tool through the real run.sh (local S3 and KLMS API servers)."""

from __future__ import annotations

import json
from pathlib import Path

from polygear.testing.klms import KlmsApi, minio_block, minio_client, run_task, s3_server

DATA = Path(__file__).resolve().parents[2] / "data"


def test_runs_as_klms_tool() -> None:
    with s3_server() as s3:
        mc = minio_client(s3)
        mc.make_bucket("lake")
        mc.fput_object("lake", "raw/participants.jsonl", str(DATA / "participants.jsonl"))
        mc.fput_object("lake", "schemas/participant.schema.json", str(DATA / "participant.schema.json"))
        doc = {
            "inputs": {
                "records": ["lake/raw/participants.jsonl"],
                "schema": ["s3://lake/schemas/participant.schema.json"],
            },
            "outputs": {"report": "lake/reports/participants.json"},
            "parameters": {"max_errors": 100},
            "minio": minio_block(s3),
        }
        api = KlmsApi(result=doc)
        run = run_task(api, "pex/schema-validator.pex", "gears/schema-validator/src/docker")
        assert run.returncode == 0, run.stderr
        (posted,) = api.posted
        assert posted["status"] == "success"
        assert posted["outputs"] == {"report": "lake/reports/participants.json"}
        assert api.refused == []
        assert posted["metrics"]["status"] == "invalid"
        report = json.loads(mc.get_object("lake", "reports/participants.json").read())
        assert report["violation_count"] == posted["metrics"]["violation_count"] > 0
