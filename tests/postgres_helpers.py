"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, listening only
on a unix socket inside it (no TCP port, so nothing to collide with), trust auth.

Binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin. PostgreSQL refuses
to run as root, so under root the server runs as the ``postgres`` OS user (the Debian
package creates it) in a folder it owns. Without the binaries the tests that need the
server skip, unless ATELIER_REQUIRE_POSTGRES=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import NoReturn

import pytest

#: A role that must log in with a password (scram) even though everyone else is trusted.
GUARDED_USER = "guarded"
GUARDED_PASSWORD = "s3cret-guarded-pw"
SUPERUSER = "atelier"


def find_postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("ATELIER_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason} (ATELIER_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path  # holds data/, the socket and the log
    run_as: str | None  # OS user running the server (None: this process's user)
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@/{database}?host={self.socket_dir}"

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its postgresql:// URL."""
        return self.url(self.create_database_named(prefix))

    def create_database_named(self, prefix: str = "test") -> str:
        """A new empty database; returns its name."""
        name = f"{prefix}_{next(self._names)}"
        self.sql(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return name

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
            "--locale=C", "--encoding=UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        hba = data / "pg_hba.conf"
        guarded = f"local all {GUARDED_USER} scram-sha-256\n"
        hba.write_text(guarded + hba.read_text())  # first match wins
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "-o",
            f"-k {self.socket_dir} -c listen_addresses='' -F -c max_connections=50",
            "start",
        )  # fmt: skip
        self.sql(f"CREATE ROLE {GUARDED_USER} LOGIN PASSWORD '{GUARDED_PASSWORD}'")

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate",
                  "-w", "stop")  # fmt: skip


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway server (skipping the test when that cannot be done here)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        skip_or_fail("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql)")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root and there is no 'postgres' user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            skip_or_fail("running as root and `runuser` is missing to start PostgreSQL as postgres")
        run_as = "postgres"
    # /tmp, not pytest's tmp_path: the postgres user must reach it, and a unix socket path
    # has to stay under ~100 bytes.
    root = Path(tempfile.mkdtemp(prefix="atelier-pg-", dir="/tmp"))
    if run_as:
        shutil.chown(root, user=run_as)
    server = PostgresServer(bin_dir=bin_dir, root=root, run_as=run_as)
    try:
        server.start()
        yield server
    finally:
        try:
            if (root / "data" / "postmaster.pid").exists():
                server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
