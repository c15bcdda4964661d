"""SQLAlchemy engines for the studio database, set up for several threads and processes.

SQLite: one connection per thread from a pool (``check_same_thread=False``), WAL so readers
never wait for the writer, a busy timeout so writers queue instead of failing, foreign keys
on, and write transactions that take the write lock when they begin (``BEGIN IMMEDIATE``):
a deferred transaction that reads and then writes can fail at once with "database is
locked" when another writer got in between, whatever the timeout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from atelier.store.errors import StoreError, is_postgres, redact_url, sqlalchemy_url

#: How long a SQLite writer waits for another (a run writing while `run status` reads).
BUSY_TIMEOUT_S = 30
#: How long to wait for a PostgreSQL server to answer before giving up.
CONNECT_TIMEOUT_S = 10
#: Execution option that makes a SQLite transaction begin with the write lock.
WRITE = "atelier_write"


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` (sqlite:///PATH or a PostgreSQL URL); nothing is connected yet."""
    target = sqlalchemy_url(url)
    try:
        parsed = make_url(target)
    except (ArgumentError, ValueError):
        raise StoreError(
            f"not a database URL: {redact_url(url)}",
            hint="use 'postgresql://user@host:5432/atelier' in [storage] url, or leave it empty",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(target, parsed.database)
    if not is_postgres(url):
        raise StoreError(
            f"unsupported database URL: {redact_url(url)}",
            hint="Atelier stores its data in SQLite (the default) or PostgreSQL",
        )
    try:
        return create_engine(
            target,
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(
            f"not a usable PostgreSQL URL: {redact_url(url)} ({redact_url(str(exc))})",
            hint="use 'postgresql://user@host:5432/atelier' in [storage] url",
        ) from None


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:" or database.startswith("file:"):
        raise StoreError(
            f"the studio database must be a SQLite file, not {url!r}",
            hint="use sqlite:///PATH (separate processes must see the same data)",
        )
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
