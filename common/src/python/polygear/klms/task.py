"""The KLMS task input JSON, read strictly, with the older template spellings accepted.

    {"inputs": {name: ["bucket/key" | "s3://bucket/key", ...]},
     "outputs": {name: "bucket/key-or-prefix"},
     "parameters": {...}, "secrets": {...},
     "minio": {"endpoint_url", "id", "key", "skey"},
     "overwrite": false}

`input`/`output` (the template README's first spelling) are read as `inputs`/`outputs`.
`overwrite` (ours) allows replacing existing output objects; otherwise they are a 409.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from polygear.core.errors import UserError


@dataclass(frozen=True)
class ObjectPath:
    bucket: str
    key: str

    @classmethod
    def parse(cls, raw: Any, where: str) -> ObjectPath:
        if not isinstance(raw, str) or not raw.strip():
            raise UserError(where, f"expected a MinIO path like bucket/key, found {raw!r}")
        text = raw.strip()
        if text.startswith("s3://"):
            text = text[5:]
        bucket, _, key = text.lstrip("/").partition("/")
        if not bucket or not key:
            raise UserError(where, f"expected a MinIO path like bucket/key, found {raw!r}")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{self.bucket}/{self.key}"


@dataclass(frozen=True)
class MinioSettings:
    endpoint: str
    secure: bool
    access_key: str
    secret_key: str
    session_token: str | None

    @classmethod
    def parse(cls, raw: Any) -> MinioSettings:
        if not isinstance(raw, dict):
            raise UserError("minio", f"expected an object with endpoint_url, id, key, skey, found {type(raw).__name__}")
        for name in ("endpoint_url", "id", "key"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise UserError(f"minio.{name}", "expected a non-empty string")
        url: str = raw["endpoint_url"].strip().rstrip("/")
        # http:// means plain HTTP (a local MinIO); https:// or no scheme means TLS.
        secure = not url.startswith("http://")
        endpoint = url.split("://", 1)[1] if "://" in url else url
        skey = raw.get("skey")
        return cls(endpoint, secure, raw["id"], raw["key"], skey if isinstance(skey, str) and skey else None)

    def secrets(self) -> list[str]:
        return [s for s in (self.access_key, self.secret_key, self.session_token) if s]


@dataclass(frozen=True)
class KlmsTask:
    inputs: dict[str, list[ObjectPath]]
    outputs: dict[str, str]
    parameters: dict[str, Any]
    secrets: dict[str, Any]
    minio: MinioSettings | None
    overwrite: bool = False
    raw_keys: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, doc: Any) -> KlmsTask:
        if not isinstance(doc, dict):
            raise UserError("input.json", f"expected a JSON object, found {type(doc).__name__}")
        inputs_raw = doc.get("inputs", doc.get("input", {})) or {}
        outputs_raw = doc.get("outputs", doc.get("output", {})) or {}
        if not isinstance(inputs_raw, dict):
            raise UserError("inputs", 'expected an object {name: ["bucket/key", ...]}')
        if not isinstance(outputs_raw, dict):
            raise UserError("outputs", 'expected an object {name: "bucket/key-or-prefix"}')
        inputs: dict[str, list[ObjectPath]] = {}
        for name, paths in inputs_raw.items():
            items = paths if isinstance(paths, list) else [paths]
            inputs[name] = [ObjectPath.parse(p, f"inputs.{name}[{i}]") for i, p in enumerate(items)]
        outputs: dict[str, str] = {}
        for name, target in outputs_raw.items():
            bucket, slash, _ = str(target).strip().removeprefix("s3://").partition("/")
            if not isinstance(target, str) or not bucket or not slash:
                raise UserError(f"outputs.{name}", f"expected bucket/key or bucket/prefix/, found {target!r}")
            outputs[name] = target.strip()
        params = doc.get("parameters", {}) or {}
        if not isinstance(params, dict):
            raise UserError("parameters", "expected an object")
        secrets = doc.get("secrets", {}) or {}
        if not isinstance(secrets, dict):
            raise UserError("secrets", "expected an object")
        minio = MinioSettings.parse(doc["minio"]) if doc.get("minio") is not None else None
        if (inputs or outputs) and minio is None:
            raise UserError(
                "minio", "expected MinIO settings (endpoint_url, id, key, skey) to stage inputs and outputs"
            )
        return cls(inputs, outputs, params, secrets, minio, bool(doc.get("overwrite", False)), tuple(doc))

    def secret_values(self) -> list[str]:
        values = [str(v) for v in self.secrets.values() if isinstance(v, (str, int)) and str(v)]
        return values + (self.minio.secrets() if self.minio else [])
