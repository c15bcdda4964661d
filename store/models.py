"""The studio's tables: runs, their episodes, the assets they made, audits and model calls.

Times are timezone-aware UTC datetimes on every database (stored as naive UTC). JSON
columns hold plain dicts and lists. The schema itself is created by the numbered
migrations in ``atelier.store.migrations``; a test keeps the two in step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator, UniqueConstraint
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
    status: str  # "running" | "paused" | "failed" | "done"
    message: str = ""  # why paused/failed, shown to the operator
    episodes_done: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

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


TABLES = (Run, Episode, Asset, Audit, ModelCall)
