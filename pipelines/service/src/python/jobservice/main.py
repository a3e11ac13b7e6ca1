"""Start the pipeline job service: `./pants run pipelines/service -- --db sqlite:///jobs.db`.

Configuration from flags, else the environment (a container's natural place), else a file of
`KEY=value` lines (`--config`):

| flag | environment | what |
|---|---|---|
| `--db` | `POLYGEAR_JOBS_DB` | `sqlite:///jobs.db` (default) or `postgresql://user@host/db` |
| `--secret-file` | `POLYGEAR_JOBS_SECRET` | the key update tokens are made with (keep it: tokens die with it) |
| `--admin-token-file` | `POLYGEAR_JOBS_ADMIN_TOKEN` | the bearer token for creating pipelines and jobs |
| `--archive-root` | `POLYGEAR_JOBS_ARCHIVE_ROOT` | the folder the indexer reads job archive paths under |
| `--host`, `--port` | `POLYGEAR_JOBS_HOST`, `POLYGEAR_JOBS_PORT` | where to listen (127.0.0.1:8080) |
| `--specs` | `POLYGEAR_SPECS` | SD2E's published JSON Schemas: pipeline and event bodies are validated against them |

Secrets are read from files or the environment, never from the command line, and never logged.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from polygear.core import redact

ENV = {
    "db": "POLYGEAR_JOBS_DB",
    "secret": "POLYGEAR_JOBS_SECRET",
    "admin_token": "POLYGEAR_JOBS_ADMIN_TOKEN",
    "archive_root": "POLYGEAR_JOBS_ARCHIVE_ROOT",
    "host": "POLYGEAR_JOBS_HOST",
    "port": "POLYGEAR_JOBS_PORT",
    "specs": "POLYGEAR_SPECS",
}
DEFAULTS = {"db": "sqlite:///jobs.db", "host": "127.0.0.1", "port": "8080"}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jobservice", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--db")
    p.add_argument("--secret-file", type=Path)
    p.add_argument("--admin-token-file", type=Path)
    p.add_argument("--archive-root")
    p.add_argument("--host")
    p.add_argument("--port")
    p.add_argument("--specs", help="the folder of SD2E's published schemas: bodies are validated against them")
    p.add_argument("--config", type=Path, help="a file of KEY=value lines (the environment variable names)")
    return p


def _file_config(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            if not sep:
                raise SystemExit(f"error: {path}:{number}: expected KEY=value")
            out[key.strip()] = value.strip()
    return out


def _secret_file(path: Path, flag: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(
            f"error: {flag} {path}: expected a readable text file, found: {exc.__class__.__name__}"
        ) from None


def safe_url(url: str) -> str:
    """A database URL as logs may show it: scheme, host and database, never a user's password."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def settings(argv: Sequence[str] | None = None) -> dict[str, str | None]:
    args = _parser().parse_args(argv)
    from_file = _file_config(args.config)
    values: dict[str, str | None] = {}
    for key, env in ENV.items():
        given = getattr(args, key, None)
        if key in ("secret", "admin_token"):
            file_arg = getattr(args, f"{key}_file", None)
            given = _secret_file(file_arg, f"--{key.replace('_', '-')}-file") if file_arg else None
        values[key] = given or os.environ.get(env) or from_file.get(env) or DEFAULTS.get(key)
    for key in ("secret", "admin_token"):
        if not values[key]:
            raise SystemExit(f"error: {ENV[key]}: expected a secret (or --{key.replace('_', '-')}-file), found none")
    if not str(values["port"]).isdigit() or not 0 < int(str(values["port"])) < 65536:
        raise SystemExit(f"error: --port: expected a TCP port (1-65535), found {values['port']!r}")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    from jobservice.app import create_app
    from jobservice.store import open_store

    values = settings(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    password = urlsplit(str(values["db"])).password
    redact.install([v for v in (values["secret"], values["admin_token"], password) if v])
    try:
        store = open_store(str(values["db"]), str(values["secret"]).encode())
    except Exception as exc:  # a wrong URL or an unreachable database: one line, no password
        message = redact.redact(str(exc)).replace(str(values["db"]), safe_url(str(values["db"])))
        print(f"error: --db {safe_url(str(values['db']))}: {message.splitlines()[0]}", file=sys.stderr)
        return 1
    specs = Path(values["specs"]) if values["specs"] else None
    app = create_app(store, str(values["admin_token"]), values["archive_root"], specs)
    logging.getLogger("jobservice").info(
        "serving %s on http://%s:%s", str(values["db"]).split("://")[0], values["host"], values["port"]
    )
    uvicorn.run(app, host=str(values["host"]), port=int(str(values["port"])), access_log=False, log_config=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
