"""LangGraph checkpoints of production runs: a SQLite file in the workspace by default, the
PostgreSQL database of ``[storage] url`` for shared deployments.

A run paused at an audit checkpoint is resumed by a later process from what is saved here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver

from atelier.store.engine import BUSY_TIMEOUT_S, CONNECT_TIMEOUT_S
from atelier.store.errors import StoreError, connection_error, is_postgres, libpq_url, redact_url

#: Arbitrary key of the PostgreSQL advisory lock held while setting up the tables.
_PG_SETUP_LOCK_KEY = 0x4C616E6747726170  # "LangGrap"


@contextmanager
def open_checkpointer(url: str, sqlite_path: Path) -> Iterator[BaseCheckpointSaver]:
    """A checkpointer, its tables set up; ``url`` empty means SQLite at ``sqlite_path``."""
    if not url:
        with _sqlite_saver(sqlite_path) as saver:
            yield saver
        return
    if not is_postgres(url):
        raise StoreError(
            f"checkpoints need PostgreSQL or SQLite, not {redact_url(url)}",
            hint="use a 'postgresql://' URL in [storage] url, or leave it empty",
        )
    with _postgres_saver(url) as saver:
        yield saver


@contextmanager
def _sqlite_saver(path: Path) -> Iterator[BaseCheckpointSaver]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    url = f"sqlite:///{path}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The saver serialises its own use of the connection with a lock.
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    except (OSError, sqlite3.Error) as exc:
        raise connection_error(exc, url, what="the checkpoint database") from None
    with closing(conn):
        saver = SqliteSaver(conn)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            saver.setup()  # also switches the file to WAL
        except sqlite3.Error as exc:
            raise connection_error(exc, url, what="the checkpoint database") from None
        yield saver


@contextmanager
def _postgres_saver(url: str) -> Iterator[BaseCheckpointSaver]:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    # As PostgresSaver.from_conn_string, plus a connect timeout and readable errors.
    try:
        conn = psycopg.Connection.connect(
            libpq_url(url), autocommit=True, prepare_threshold=0, row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
        )  # fmt: skip
    except (psycopg.Error, ValueError) as exc:
        raise connection_error(exc, url, what="the checkpoint database") from None
    with conn:
        saver = PostgresSaver(conn)  # type: ignore[arg-type]
        try:
            # Two processes setting up a blank database at once would race; take turns.
            conn.execute("SELECT pg_advisory_lock(%s)", (_PG_SETUP_LOCK_KEY,))
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_PG_SETUP_LOCK_KEY,))
        except psycopg.OperationalError as exc:
            raise connection_error(exc, url, what="the checkpoint database") from None
        yield saver
