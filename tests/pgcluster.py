"""A throw-away PostgreSQL cluster for the batch tests: initdb into a temporary directory, a
server on a Unix socket there (no TCP port), stopped and removed at the end. As root, the
cluster runs as the `postgres` user (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def pg_bin() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return os.path.dirname(found)
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(versions[-1]) if versions else None


@contextmanager
def cluster() -> Iterator[str]:
    """A running server; yields a libpq connection string."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    root = tempfile.mkdtemp(prefix="almen-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    user = None
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sock):
            os.chown(path, user.pw_uid, user.pw_gid)

    def run(*cmd: str) -> None:
        full = list(cmd) if user is None else ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(full, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    try:
        run(f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "almen", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-k {sock} -c listen_addresses='' -c fsync=off -c shared_buffers=64MB"
        run(f"{bindir}/pg_ctl", "-D", data, "-o", options, "-w", "-l", os.path.join(root, "log"), "start")
        try:
            yield f"host={sock} user=almen dbname=postgres"
        finally:
            run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
