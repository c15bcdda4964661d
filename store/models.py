"""The studio's tables: runs, their episodes, the assets they made, audits, model calls, and
the members' signed reviews and curation ballots.

Times are timezone-aware UTC datetimes on every database (stored as naive UTC). JSON
columns hold plain dicts and lists. The schema itself is created by the numbered
migrations in ``atelier.store.migrations``; a test keeps the two in step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and read back as aware UTC on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _json(*, nullable: bool = False) -> Any:
    return Column(JSON, nullable=nullable)


class Run(SQLModel, table=True):
    """One production run towards a goal the DAO executed."""

    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int
    goal_title: str
    episodes_planned: int
    audit_every: int
    #: "running" | "paused" | "budget" (paused on its goal's) | "stopped" | "failed" | "done"
    status: str
    message: str = ""  # why paused/failed, shown to the operator
    episodes_done: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: With status "budget": the goal budget (tokens) the run needs to go on.
    budget_needed: int | None = Field(default=None, sa_type=BigInteger)

    @property
    def thread_id(self) -> str:
        """The LangGraph thread that checkpoints this run."""
        return f"run-{self.id}"


class Episode(SQLModel, table=True):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("run_id", "number", name="uq_episodes_run_number"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="runs.id", index=True)
    number: int
    title: str = ""
    summary: str = ""
    status: str  # "writing" | "done" | "failed"
    prompt_hashes: dict[str, str] = Field(default_factory=dict, sa_column=_json())
    findings: list[str] = Field(default_factory=list, sa_column=_json())
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The chain clock when the episode was published: reviews count the reviewer's
    #: reputation at this moment.
    published_chain_time: int | None = Field(default=None, sa_type=BigInteger)
    #: The Merkle root of the episode's files anchored in the provenance registry (0x hex),
    #: the anchoring transaction (None when a resumed publish found the root already there),
    #: and the anchored leaves, [path below the run folder, sha256 hex], for the proofs.
    provenance_root: str | None = None
    provenance_tx: str | None = None
    provenance_leaves: list[list[str]] | None = Field(default=None, sa_column=_json(nullable=True))


class Asset(SQLModel, table=True):
    """A file a run made, with its provenance: agent, prompt version, model, seed, proposals."""

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("run_id", "path", name="uq_assets_run_path"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    episode: int | None = None
    kind: str  # "bible", "script", "sheet", "layout", "page_svg", "page_png", "episode_pdf", ...
    path: str  # relative to the workspace assets folder, posix separators
    sha256: str  # hex digest of the file
    agent: str | None = None
    prompt_hash: str | None = None
    provider: str | None = None
    model: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    seed: int | None = None
    goal_id: int
    proposal_ids: list[str] = Field(default_factory=list, sa_column=_json())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: sha256 (hex) of the local model file that wrote it; None: no model, a served model
    #: (openai, ollama), or an asset recorded before the column existed.
    model_sha256: str | None = None


class Audit(SQLModel, table=True):
    """An audit checkpoint's report and the proposal that puts it to the members."""

    __tablename__ = "audits"
    __table_args__ = (
        UniqueConstraint("run_id", "index", "revision", name="uq_audits_run_index_revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    index: int  # 1-based checkpoint number within the run
    revision: int = 1
    after_episode: int
    report_markdown: str
    report_hash: str  # 0x-hex keccak256 of the report
    proposal_id: str | None = None  # decimal: a uint256 does not fit a BIGINT
    proposal_number: int | None = None
    proposed_prompts: dict[str, str] = Field(default_factory=dict, sa_column=_json())
    status: str = "open"  # "open" | "executed" | "defeated" | "expired" | "canceled"
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: agent -> who drafted the proposed rewrite: account names among the prompt file's
    #: authors (a person's draft) or ["editor"]. (A later column: nullable in the schema.)
    drafted_by: dict[str, list[str]] = Field(default_factory=dict,
                                             sa_column=_json(nullable=True))
    #: The reputation burns and mints the proposal carries, and the ledger entries it claims
    #: (see ``workflows.earning``). None: an audit written before the ledger existed.
    settlement: dict[str, Any] | None = Field(default=None, sa_column=_json(nullable=True))


class ModelCall(SQLModel, table=True):
    """One agent call to a chat model (see ``atelier.agents.calls.CallRecord``)."""

    __tablename__ = "model_calls"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    episode: int | None = None
    agent: str
    task: str
    prompt_hash: str
    provider: str
    model: str
    params: dict[str, Any] = Field(default_factory=dict, sa_column=_json())
    seed: int | None = None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    attempts: int
    outcome: str
    problems: list[str] = Field(default_factory=list, sa_column=_json())
    started_at: float  # unix time
    #: sha256 (hex) of the local model file that answered; None: a served model (openai,
    #: ollama) or a call logged before the column existed.
    model_sha256: str | None = None


class Review(SQLModel, table=True):
    """A member's signed rating of one published episode (see governance.member_messages).

    The row holds the signed fields and the signature, so anyone can check it; a newer
    review by the same member of the same episode replaces the older one."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("run_id", "episode", "reviewer", name="uq_reviews_run_episode_reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    episode: int
    reviewer: str  # checksum address
    scriptwriter: int
    designer: int
    layout: int
    comment: str = ""
    signed_at: int = Field(sa_type=BigInteger)  # unix seconds, part of the signed message
    signature: str  # 0x-hex, 65 bytes
    #: The reviewer's reputation (whole points) at the episode's publication.
    weight: int = Field(sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Ballot(SQLModel, table=True):
    """A curation round: the variants an agent offered for one episode, put to the members."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("run_id", "episode", "kind", name="uq_ballots_run_episode_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    episode: int
    kind: str = "outline"
    key: str  # 0x-hex bytes32, part of every signed vote
    variants: list[dict[str, Any]] = Field(default_factory=list, sa_column=_json())
    snapshot: int = Field(sa_type=BigInteger)  # chain time whose reputation weighs the votes
    #: Every member's reputation (whole points) at the snapshot, read from the chain when the
    #: ballot opened: a past moment's reputation never changes, so the tally needs no reads.
    electorate: dict[str, int] = Field(default_factory=dict, sa_column=_json())
    closes_at: int = Field(sa_type=BigInteger)  # chain time
    status: str = "open"  # "open" | "closed"
    winner: int | None = None
    tally: list[int] = Field(default_factory=list, sa_column=_json())  # weight per variant
    tally_root: str | None = None  # 0x-hex keccak256 over the counted votes
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CurationVote(SQLModel, table=True):
    """A member's signed choice on a ballot; a newer vote by the same member replaces it."""

    __tablename__ = "curation_votes"
    __table_args__ = (
        UniqueConstraint("ballot_id", "voter", name="uq_curation_votes_ballot_voter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ballot_id: int = Field(index=True)
    voter: str  # checksum address
    choice: int  # 0-based variant
    signed_at: int = Field(sa_type=BigInteger)
    signature: str
    weight: int = Field(sa_type=BigInteger)  # reputation (whole points) at the ballot's snapshot
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Contribution(SQLModel, table=True):
    """One entry of the contribution ledger: who did what, where, and the evidence anyone can
    check it by (a signature, a proposal id). Reputation mints, decay and revenue shares are
    computed from it; an audit that settles an entry records its index, so nothing counts
    twice."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("account", "kind", "ref", name="uq_contributions_account_kind_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str  # checksum address
    kind: str  # "prompt_rewrite" | "review" | "curation_vote" | "audit_proposal"
    ref: str  # what it belongs to: "run 1 episode 2", "ballot 3", "proposal 7 scriptwriter"
    evidence: str  # the signature (0x-hex) or the proposal id (decimal)
    run_id: int | None = None
    settled_by: str | None = None  # the audit proposal (id, decimal) that minted for it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


TABLES = (Run, Episode, Asset, Audit, ModelCall, Review, Ballot, CurationVote, Contribution)
