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
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - create_store_engine admits only these two
        raise NotImplementedError(dialect)
    statement = statement.values({**key, **insert})
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=update)
    row_id = session.execute(statement.returning(table.c.id)).scalar_one()
    row = session.get(model, row_id, populate_existing=True)
    assert row is not None
    return row
