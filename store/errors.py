"""Database URLs (the forms SQLAlchemy and libpq want, shown without passwords) and the
one error family of the store, whose messages say what to fix."""

from __future__ import annotations

import re

from atelier.kernel.errors import AtelierError, NotFound


class StoreError(AtelierError):
    """The studio database is unreachable, refused us, or lacks what was asked for."""


class MissingRecord(StoreError, NotFound):
    """No row of that id (a run, an audit, a ballot, an asset)."""


# Up to the last "@": a password may hold unescaped "@" or "/" (better hide too much).
_PASSWORD_IN_AUTHORITY = re.compile(r"(://[^/?#@:]*):.*@")
_PASSWORD_IN_QUERY = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (works on URLs that do not parse)."""
    url = _PASSWORD_IN_AUTHORITY.sub(r"\1:***@", url)
    return _PASSWORD_IN_QUERY.sub(r"\1***", url)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def sqlalchemy_url(url: str) -> str:
    """A PostgreSQL URL as SQLAlchemy's psycopg 3 driver wants it; other URLs unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq (psycopg, the LangGraph checkpointer) wants it."""
    return "postgresql://" + url.removeprefix("postgresql+psycopg://").removeprefix(
        "postgresql://"
    ).removeprefix("postgres://")


def _hint(reason: str, url: str) -> str:
    text = reason.lower()
    if not is_postgres(url):
        if "malformed" in text or "not a database" in text or "corrupt" in text:
            return ("the file is damaged: restore it from a backup, or move it aside to start "
                    "an empty store (the runs, assets and reviews it held are then lost)")
        return "check that the workspace folder exists and is writable"
    if "password" in text or "authentication" in text:
        return (
            "check the user and password in [storage] url of config.toml (or PGPASSWORD); "
            "the server's pg_hba.conf decides who may connect"
        )
    if "permission denied" in text:
        return (
            "the user in [storage] url needs the right to create tables in the database "
            "(e.g. `GRANT CREATE ON SCHEMA public TO user`, or make it the database's owner)"
        )
    if "database" in text and "does not exist" in text:
        return "create the database first (`createdb NAME`), or fix its name in [storage] url"
    if "role" in text and "does not exist" in text:
        return "create that user on the server, or fix the user in [storage] url"
    if "invalid" in text or "missing" in text or "unknown" in text:
        return "fix [storage] url in config.toml, e.g. 'postgresql://user@localhost:5432/atelier'"
    return (
        "is the PostgreSQL server running and reachable from here? check the host and port "
        "in [storage] url of config.toml, or leave it empty to use SQLite in the workspace"
    )


def connection_error(
    exc: BaseException, url: str, *, what: str = "the studio database"
) -> StoreError:
    """A StoreError for a failed connection, naming the URL without its password."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(original).__name__
    # libpq puts "connection to server at ... failed: FATAL:" before the actual reason.
    reason = re.sub(r"^(connection failed: )?connection to server .*? failed: ", "", reason)
    reason = re.sub(r"^FATAL:\s+", "", reason)
    safe = redact_url(url)
    reason = redact_url(reason)
    password = _password(url)
    if password:
        reason = reason.replace(password, "***")
    return StoreError(f"cannot use {what} at {safe}: {reason}", hint=_hint(reason, url))


def _password(url: str) -> str | None:
    match = re.search(r"://[^/?#@:]*:(.*)@", url) or re.search(
        r"[?&]password=([^&#]*)", url, re.IGNORECASE
    )
    return match.group(1) if match and match.group(1) else None
