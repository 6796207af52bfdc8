"""A real PostgreSQL server for the tests, started on first use in a temporary folder.

Debian's ``postgresql`` package puts ``initdb`` and ``pg_ctl`` in
``/usr/lib/postgresql/VERSION/bin``; they refuse to run as root, so as root they run as the
``postgres`` user. The server listens on 127.0.0.1 on a free port; the user ``smallwins`` gets
in without a password, ``keeper`` (see ``KEEPER_PASSWORD``) only with one. Each test gets a
database of its own. ``stop()`` is called once, when the test session ends (conftest.py).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

KEEPER = "keeper"
KEEPER_PASSWORD = "correct horse battery"

HBA = """\
local all all trust
host all smallwins 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""
# The tests' server trades durability for speed; benchmarks/bench_postgres.py starts one with
# the server's defaults (fsync, synchronous commit) to compare with SQLite's synchronous FULL.
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# A server killed with ``pg_ctl stop -m immediate`` must keep what it said it committed: a
# commit is written out before it is acknowledged (the machine itself does not crash, so the
# files need no fsync).
DURABLE = "-c fsync=off"


def binaries() -> Path | None:
    """The newest PostgreSQL server binaries here, or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    bin: Path
    folder: Path
    port: int
    as_postgres: bool
    options: str = FAST

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    @property
    def log(self) -> Path:
        return self.folder / "log"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 {self.options}",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str, user: str = "smallwins", password: str | None = None) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            for statement in statements:
                db.execute(statement.encode())


_lock = threading.Lock()
_server: Server | None = None
_numbers = itertools.count(1)


def server() -> Server:
    """The session's server, started on first use; skips the test where there is none."""
    global _server
    with _lock:
        if _server is not None:
            return _server
        where = binaries()
        if where is None:
            pytest.skip(
                "PostgreSQL's initdb and pg_ctl are not here (looked in "
                "/usr/lib/postgresql/*/bin and on PATH): apt-get install postgresql"
            )
        started = launch(where)
        _server = started
        return started


def launch(where: Path, options: str = FAST) -> Server:
    """initdb and start a new server in a temporary folder; it has the user ``smallwins``
    (no password) and ``keeper`` (a password)."""
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="smallwins-pg-"))
    if as_postgres:
        shutil.chown(folder, "postgres")
    started = Server(where, folder, _free_port(), as_postgres, options)
    started._run("initdb", "-D", str(started.data), "-A", "trust", "-U", "smallwins", "-N")
    hba = started.data / "pg_hba.conf"
    subprocess.run(
        [*(["runuser", "-u", "postgres", "--"] if as_postgres else []), "tee", str(hba)],
        input=HBA,
        check=True,
        capture_output=True,
        text=True,
    )
    started.start()
    started.admin(f"CREATE ROLE {KEEPER} LOGIN PASSWORD '{KEEPER_PASSWORD}'")
    return started


def own_server() -> Server:
    """A server for one test alone, started, that keeps what it committed when it is
    stopped with ``-m immediate`` (killed) and started again; skips the test where there is
    none. The caller stops it and removes its folder."""
    where = binaries()
    if where is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not here: apt-get install postgresql")
    return launch(where, DURABLE)


def stop() -> None:
    """Stop the session's server, if one was started, and remove its folder."""
    global _server
    with _lock:
        if _server is None:
            return
        try:
            _server.stop()
        finally:
            shutil.rmtree(_server.folder, ignore_errors=True)
            _server = None


def fresh_database(owner: str = "smallwins") -> str:
    """The name of a new, empty database (from template0) on the session's server."""
    name = f"ledger_{os.getpid()}_{next(_numbers)}"
    server().admin(f"CREATE DATABASE {name} OWNER {owner} TEMPLATE template0")
    return name


def postgresql_ledger(_folder: Path) -> str:
    """A fresh ledger's URL: a new database on the session's server."""
    return server().url(fresh_database())
