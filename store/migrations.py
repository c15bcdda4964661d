"""Append-only numbered migrations (after simonw/llm): ``_migrations`` names those applied.

Each migration is a function of a connection inside the migrating transaction. Never edit
one that has shipped: add the next number. m001 spells the first schema out in full rather
than calling the models' metadata, so that a later migration still finds the tables it
expects; a test migrates a blank database and compares the result with the models.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    select,
    text,
)

from atelier.store.models import utcnow

_bookkeeping = MetaData()
applied_migrations = Table(
    "_migrations",
    _bookkeeping,
    Column("name", String(100), primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

#: Arbitrary key of the PostgreSQL advisory lock that serialises concurrent migrators.
_PG_LOCK_KEY = 0x417465_6C696572  # "Atelier"


def m001_initial(conn: Connection) -> None:
    """Runs, episodes, assets, audits and the model-call log."""
    metadata = MetaData()

    def pk() -> Column[int]:
        return Column("id", Integer, primary_key=True, autoincrement=True)

    Table(
        "runs", metadata, pk(),
        Column("goal_id", Integer, nullable=False),
        Column("goal_title", String, nullable=False),
        Column("episodes_planned", Integer, nullable=False),
        Column("audit_every", Integer, nullable=False),
        Column("status", String, nullable=False),
        Column("message", String, nullable=False),
        Column("episodes_done", Integer, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
    )  # fmt: skip
    Table(
        "episodes", metadata, pk(),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("number", Integer, nullable=False),
        Column("title", String, nullable=False),
        Column("summary", String, nullable=False),
        Column("status", String, nullable=False),
        Column("prompt_hashes", JSON, nullable=False),
        Column("findings", JSON, nullable=False),
        Column("started_at", DateTime, nullable=True),
        Column("finished_at", DateTime, nullable=True),
        UniqueConstraint("run_id", "number", name="uq_episodes_run_number"),
        Index("ix_episodes_run_id", "run_id"),
    )  # fmt: skip
    Table(
        "assets", metadata, pk(),
        Column("run_id", Integer, nullable=False),
        Column("episode", Integer, nullable=True),
        Column("kind", String, nullable=False),
        Column("path", String, nullable=False),
        Column("sha256", String, nullable=False),
        Column("agent", String, nullable=True),
        Column("prompt_hash", String, nullable=True),
        Column("provider", String, nullable=True),
        Column("model", String, nullable=True),
        Column("params", JSON, nullable=False),
        Column("seed", Integer, nullable=True),
        Column("goal_id", Integer, nullable=False),
        Column("proposal_ids", JSON, nullable=False),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("run_id", "path", name="uq_assets_run_path"),
        Index("ix_assets_run_id", "run_id"),
    )  # fmt: skip
    Table(
        "audits", metadata, pk(),
        Column("run_id", Integer, nullable=False),
        Column("index", Integer, nullable=False),
        Column("revision", Integer, nullable=False),
        Column("after_episode", Integer, nullable=False),
        Column("report_markdown", String, nullable=False),
        Column("report_hash", String, nullable=False),
        Column("proposal_id", String, nullable=True),
        Column("proposal_number", Integer, nullable=True),
        Column("proposed_prompts", JSON, nullable=False),
        Column("status", String, nullable=False),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("run_id", "index", "revision", name="uq_audits_run_index_revision"),
        Index("ix_audits_run_id", "run_id"),
    )  # fmt: skip
    Table(
        "model_calls", metadata, pk(),
        Column("run_id", Integer, nullable=False),
        Column("episode", Integer, nullable=True),
        Column("agent", String, nullable=False),
        Column("task", String, nullable=False),
        Column("prompt_hash", String, nullable=False),
        Column("provider", String, nullable=False),
        Column("model", String, nullable=False),
        Column("params", JSON, nullable=False),
        Column("seed", Integer, nullable=True),
        Column("prompt_tokens", Integer, nullable=False),
        Column("completion_tokens", Integer, nullable=False),
        Column("latency_ms", Float, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("outcome", String, nullable=False),
        Column("problems", JSON, nullable=False),
        Column("started_at", Float, nullable=False),
        Index("ix_model_calls_run_id", "run_id"),
    )  # fmt: skip
    metadata.create_all(conn)


def m002_members(conn: Connection) -> None:
    """Members' signed reviews and curation ballots; the chain time of each publication."""
    metadata = MetaData()

    def pk() -> Column[int]:
        return Column("id", Integer, primary_key=True, autoincrement=True)

    conn.execute(text("ALTER TABLE episodes ADD COLUMN published_chain_time BIGINT"))
    Table(
        "reviews", metadata, pk(),
        Column("run_id", Integer, nullable=False),
        Column("episode", Integer, nullable=False),
        Column("reviewer", String, nullable=False),
        Column("scriptwriter", Integer, nullable=False),
        Column("designer", Integer, nullable=False),
        Column("layout", Integer, nullable=False),
        Column("comment", String, nullable=False),
        Column("signed_at", BigInteger, nullable=False),
        Column("signature", String, nullable=False),
        Column("weight", BigInteger, nullable=False),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("run_id", "episode", "reviewer", name="uq_reviews_run_episode_reviewer"),
        Index("ix_reviews_run_id", "run_id"),
    )  # fmt: skip
    Table(
        "ballots", metadata, pk(),
        Column("run_id", Integer, nullable=False),
        Column("episode", Integer, nullable=False),
        Column("kind", String, nullable=False),
        Column("key", String, nullable=False),
        Column("variants", JSON, nullable=False),
        Column("snapshot", BigInteger, nullable=False),
        Column("electorate", JSON, nullable=False),
        Column("closes_at", BigInteger, nullable=False),
        Column("status", String, nullable=False),
        Column("winner", Integer, nullable=True),
        Column("tally", JSON, nullable=False),
        Column("tally_root", String, nullable=True),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("run_id", "episode", "kind", name="uq_ballots_run_episode_kind"),
        Index("ix_ballots_run_id", "run_id"),
    )  # fmt: skip
    Table(
        "curation_votes", metadata, pk(),
        Column("ballot_id", Integer, nullable=False),
        Column("voter", String, nullable=False),
        Column("choice", Integer, nullable=False),
        Column("signed_at", BigInteger, nullable=False),
        Column("signature", String, nullable=False),
        Column("weight", BigInteger, nullable=False),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("ballot_id", "voter", name="uq_curation_votes_ballot_voter"),
        Index("ix_curation_votes_ballot_id", "ballot_id"),
    )  # fmt: skip
    metadata.create_all(conn)


def m003_contributions(conn: Connection) -> None:
    """The contribution ledger: reviews, curation votes, approved rewrites, audit proposals;
    who drafted each rewrite an audit proposes, and the reputation settlement it carries."""
    conn.execute(text("ALTER TABLE audits ADD COLUMN drafted_by JSON"))
    conn.execute(text("UPDATE audits SET drafted_by = '{}'"))
    conn.execute(text("ALTER TABLE audits ADD COLUMN settlement JSON"))
    metadata = MetaData()
    Table(
        "contributions", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("account", String, nullable=False),
        Column("kind", String, nullable=False),
        Column("ref", String, nullable=False),
        Column("evidence", String, nullable=False),
        Column("run_id", Integer, nullable=True),
        Column("settled_by", String, nullable=True),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("account", "kind", "ref", name="uq_contributions_account_kind_ref"),
    )  # fmt: skip
    metadata.create_all(conn)


def m004_provenance(conn: Connection) -> None:
    """Each published episode's Merkle root anchored on the chain, its transaction and its
    leaves."""
    conn.execute(text("ALTER TABLE episodes ADD COLUMN provenance_root VARCHAR"))
    conn.execute(text("ALTER TABLE episodes ADD COLUMN provenance_tx VARCHAR"))
    conn.execute(text("ALTER TABLE episodes ADD COLUMN provenance_leaves JSON"))


def m005_run_budget(conn: Connection) -> None:
    """The token budget a run paused on its goal's budget needs before it can go on."""
    conn.execute(text("ALTER TABLE runs ADD COLUMN budget_needed BIGINT"))


def m006_model_sha256(conn: Connection) -> None:
    """The sha256 of the local model file behind each model call and each asset (NULL for
    served models and for rows written before)."""
    conn.execute(text("ALTER TABLE model_calls ADD COLUMN model_sha256 VARCHAR"))
    conn.execute(text("ALTER TABLE assets ADD COLUMN model_sha256 VARCHAR"))


#: In order; append only.
MIGRATIONS: list[Callable[[Connection], None]] = [m001_initial, m002_members,
                                                  m003_contributions, m004_provenance,
                                                  m005_run_budget, m006_model_sha256]


def migrate(conn: Connection) -> list[str]:
    """Apply the migrations ``conn``'s database lacks, in one transaction; return their names.

    Concurrent migrators wait for each other (an advisory lock on PostgreSQL, an immediate
    write transaction on SQLite), so each migration runs exactly once.
    """
    with conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        applied_migrations.create(conn, checkfirst=True)
        done = set(conn.scalars(select(applied_migrations.c.name)))
        ran = []
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            migration(conn)
            conn.execute(
                applied_migrations.insert().values(
                    name=migration.__name__, applied_at=utcnow().replace(tzinfo=None)
                )
            )
            ran.append(migration.__name__)
    return ran
