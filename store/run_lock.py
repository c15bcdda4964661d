"""One process drives a run at a time, and anyone can tell whether a run's process is alive.

A run's lock is held for as long as a process drives its graph: a file lock beside the
SQLite store, or a PostgreSQL advisory lock on a connection of its own for shared
deployments. Both are released by the operating system or the server when the process
dies, even by SIGKILL, so a run marked "running" whose lock is free was interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from atelier.store.engine import CONNECT_TIMEOUT_S
from atelier.store.errors import StoreError, connection_error, is_postgres, libpq_url

#: First key of the PostgreSQL advisory locks of runs (the second is the run id).
_PG_RUN_LOCK_CLASS = 0x41746C52  # "AtlR"


class RunBusy(StoreError):
    """Another process drives this run now."""


@contextmanager
def run_lock(url: str, lock_dir: Path, run_id: int) -> Iterator[None]:
    """Hold run ``run_id``'s lock for the block; ``RunBusy`` at once if another holds it."""
    busy = RunBusy(
        f"run {run_id} is being driven by another atelier process right now",
        hint=f"wait for it to pause or finish (`atelier run status {run_id}`); a run is "
        "never driven twice at once",
    )
    if is_postgres(url):
        with _pg_connection(url) as conn:
            if not conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                (_PG_RUN_LOCK_CLASS, run_id)).fetchone()[0]:
                raise busy
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_PG_RUN_LOCK_CLASS, run_id))
        return
    from filelock import FileLock, Timeout

    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(lock_dir / f"run-{run_id}.lock"), timeout=0)
        lock.acquire()
    except Timeout:
        raise busy from None
    except OSError as exc:
        raise StoreError(f"cannot create the lock of run {run_id} in {lock_dir}: "
                         f"{exc.strerror or exc}",
                         hint="check that the workspace folder exists and is writable") from None
    try:
        yield
    finally:
        lock.release()


def run_is_live(url: str, lock_dir: Path, run_id: int) -> bool:
    """Whether a process holds the run's lock now (it is being driven)."""
    try:
        with run_lock(url, lock_dir, run_id):
            return False
    except RunBusy:
        return True


@contextmanager
def _pg_connection(url: str) -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.Connection.connect(libpq_url(url), autocommit=True,
                                          connect_timeout=CONNECT_TIMEOUT_S)
    except (psycopg.Error, ValueError) as exc:
        raise connection_error(exc, url, what="the studio database") from None
    with conn:
        yield conn
