"""INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL: writes that may be repeated.

LangGraph re-runs an interrupted node from its start, and designer branches run at the same
time, so rows keyed by (run, path) and the like are written with one atomic statement
rather than a read followed by an insert that a concurrent writer could beat.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)


def upsert(
    session: Session,
    model: type[Row],
    key: dict[str, Any],
    *,
    insert: dict[str, Any],
    update: dict[str, Any],
) -> Row:
    """Insert ``key | insert``, or when a row with ``key`` exists set ``update`` on it;
    return the row as stored. ``key`` must match a unique constraint of ``model``."""
    row = upsert_if(session, model, key, insert=insert, update=update)
    assert row is not None
    return row


def upsert_if(
    session: Session,
    model: type[Row],
    key: dict[str, Any],
    *,
    insert: dict[str, Any],
    update: dict[str, Any],
    newer: str | None = None,
) -> Row | None:
    """``upsert``; with ``newer`` (a column name) an existing row is replaced only when the
    new value of that column is greater, else nothing changes and None comes back."""
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - create_store_engine admits only these two
        raise NotImplementedError(dialect)
    statement = statement.values({**key, **insert})
    where = None if newer is None else table.c[newer] < statement.excluded[newer]
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=update,
                                                where=where)
    row_id = session.execute(statement.returning(table.c.id)).scalar_one_or_none()
    if row_id is None:
        return None
    return session.get(model, row_id, populate_existing=True)
