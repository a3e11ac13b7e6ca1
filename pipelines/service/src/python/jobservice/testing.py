"""A throw-away PostgreSQL cluster for the job store's tests and benchmarks (never used by the service).

`initdb` + `pg_ctl` in a temporary folder, as an unprivileged user (as root: the `postgres` or
`nobody` account, through runuser), on a free loopback port, with trust authentication.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from polygear.testing.klms import free_port

__all__ = ["NoServer", "free_port", "server_bin", "throwaway_cluster"]


class NoServer(Exception):
    """No PostgreSQL server binary, or no way to run it unprivileged: the reason is the message."""


def server_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """A running cluster's URL (`postgresql://postgres@127.0.0.1:PORT/postgres`); removed afterwards."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise NoServer("no PostgreSQL server binary (initdb) on this machine: install Debian's postgresql")
    prefix: list[str] = []
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None or shutil.which("runuser") is None:
            raise NoServer("running as root without a postgres/nobody account and runuser: cannot start PostgreSQL")
        prefix = ["runuser", "-u", user, "--"]
    root = Path(tempfile.mkdtemp(prefix="polygear-pg-", dir="/tmp"))
    os.chmod(root, 0o755)
    data = root / "data"
    data.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    port = free_port()
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)
