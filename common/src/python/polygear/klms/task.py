"""The KLMS task input JSON, read strictly, with the older template spellings accepted.

    {"inputs": {name: ["bucket/key" | "s3://bucket/key", ...]},
     "outputs": {name: "bucket/key-or-prefix"},
     "parameters": {...}, "secrets": {...},
     "minio": {"endpoint_url", "id", "key", "skey"},
     "overwrite": false}

`input`/`output` (the template README's first spelling) are read as `inputs`/`outputs`.
`overwrite` (ours, a JSON boolean) allows replacing existing output objects; otherwise they are a 409.

Everything is checked here, at task start, before any object is read or written: bucket names
(S3's rules), object keys (no `.`/`..` segments, no control characters, at most 1024 bytes) and
the MinIO endpoint (`host[:port]`, optionally `http://` or `https://`, nothing else), so a mistake
is a 400 naming the field, never a failure half-way through the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from polygear.core.errors import UserError
from polygear.core.redact import secret_leaves

# S3 bucket names: 3-63 characters, lower-case letters, digits, dots and hyphens, alphanumeric ends.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_KEY_BYTES = 1024


def check_key(key: str, where: str, raw: Any) -> None:
    """Refuse object keys that S3 refuses, or that would mean a different path on a file system."""
    if CONTROL_CHARACTERS.search(key):
        raise UserError(where, f"object key contains a control character: {raw!r}")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise UserError(where, f"object key is longer than {MAX_KEY_BYTES} bytes")
    if any(part in (".", "..") for part in key.split("/")):
        raise UserError(where, f"object key has a '.' or '..' segment: {raw!r}")


def split_target(raw: Any, where: str, key_required: bool = True) -> tuple[str, str]:
    """`bucket/key` (or `s3://bucket/key`) -> (bucket, key), every part checked."""
    if not isinstance(raw, str) or not raw.strip():
        raise UserError(where, f"expected a MinIO path like bucket/key, found {raw!r}")
    text = raw.strip().removeprefix("s3://")
    bucket, slash, key = text.lstrip("/").partition("/")
    if not bucket or not slash or (key_required and not key):
        expected = "a MinIO path like bucket/key" if key_required else "bucket/key or bucket/prefix/"
        raise UserError(where, f"expected {expected}, found {raw!r}")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise UserError(where, f"expected an S3 bucket name (3-63 of a-z 0-9 . -), found {bucket!r}")
    check_key(key, where, raw)
    return bucket, key


@dataclass(frozen=True)
class ObjectPath:
    bucket: str
    key: str

    @classmethod
    def parse(cls, raw: Any, where: str) -> ObjectPath:
        bucket, key = split_target(raw, where)
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{self.bucket}/{self.key}"


def parse_endpoint(raw: str) -> tuple[str, bool]:
    """`host[:port]` and whether to use TLS: `http://` means plain HTTP (a local MinIO), `https://`
    or no scheme TLS. Paths, queries, credentials and other schemes are refused."""
    url = raw.strip().rstrip("/")
    parts = urlsplit(url if "://" in url else f"https://{url}")
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = f"the scheme must be http or https, found {parts.scheme!r}"
    elif parts.path or parts.query or parts.fragment or parts.username or parts.password:
        problem = "expected only host[:port] (no path, query or credentials)"
    elif not parts.hostname or CONTROL_CHARACTERS.search(url) or " " in url:
        problem = "expected a host name"
    else:
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            problem = "the port must be a number from 1 to 65535"
    if problem:
        raise UserError("minio.endpoint_url", f"{problem}, found {raw!r}")
    return parts.netloc, parts.scheme == "https"


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
        endpoint, secure = parse_endpoint(raw["endpoint_url"])
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
            split_target(target, f"outputs.{name}", key_required=False)
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
        overwrite = doc.get("overwrite", False)
        if not isinstance(overwrite, bool):
            raise UserError("overwrite", f"expected a boolean (true/false), found {overwrite!r}")
        return cls(inputs, outputs, params, secrets, minio, overwrite, tuple(doc))

    def secret_values(self) -> list[str]:
        """Every string leaf of `secrets`, however nested, and the MinIO credentials."""
        return secret_leaves(self.secrets) + (self.minio.secrets() if self.minio else [])
