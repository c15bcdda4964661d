"""The studio's store: runs, episodes, assets, audits and the model-call log.

A SQLite file in the workspace by default, a PostgreSQL database when ``[storage] url`` names
one. Safe to share between threads (a session per operation) and processes (see
``atelier.store.engine``). Objects come back detached: read them after the call freely;
change rows through the store's methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from sqlalchemy import Engine, func
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, col, select

from atelier.kernel.redact import scrub
from atelier.store.community import CommunityRecords
from atelier.store.engine import WRITE, create_store_engine
from atelier.store.errors import (
    MissingRecord,
    StoreError,
    connection_error,
    redact_url,
    sqlalchemy_url,
)
from atelier.store.migrations import migrate
from atelier.store.models import Asset, Audit, Episode, ModelCall, Run, utcnow
from atelier.store.provenance import ProvenanceRecords
from atelier.store.stats import StoreStats
from atelier.store.upsert import upsert

if TYPE_CHECKING:
    from pathlib import Path

    from atelier.agents.calls import CallRecord

_RUN_REF = re.compile(r"^(?:run-)?(\d+)$")


RowT = TypeVar("RowT", Run, Audit)


def database_url(storage_url: str, sqlite_file: Path) -> str:
    """``[storage] url`` for SQLAlchemy, or the SQLite file when it is empty."""
    if storage_url:
        return sqlalchemy_url(storage_url)
    return f"sqlite:///{sqlite_file.resolve()}"


class Store(CommunityRecords, ProvenanceRecords, StoreStats):
    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self.url = url

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and bring its schema up to date (a no-op when it is)."""
        engine = create_store_engine(url)
        try:
            with engine.execution_options(**{WRITE: True}).connect() as conn:
                migrate(conn)
        except DBAPIError as exc:  # unreachable, refused, or no right to create tables
            engine.dispose()
            raise connection_error(exc, url) from None
        return cls(engine, url)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({redact_url(self.url)!r})"

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        try:
            with Session(self._writer if write else self._engine, expire_on_commit=False) as s:
                yield s
                if write:
                    s.commit()
        except OperationalError as exc:
            raise connection_error(exc, self.url) from None

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self, *, goal_id: int, goal_title: str, episodes_planned: int, audit_every: int
    ) -> Run:
        run = Run(goal_id=goal_id, goal_title=goal_title, episodes_planned=episodes_planned,
                  audit_every=audit_every, status="running")  # fmt: skip
        with self._session(write=True) as session:
            session.add(run)
            session.flush()
        return run

    def run(self, ref: int | str) -> Run:
        """A run by id: 3, "3" or "run-3" (its LangGraph thread id)."""
        match = _RUN_REF.match(str(ref).strip())
        run = None
        if match:
            with self._session() as session:
                run = session.get(Run, int(match.group(1)))
        if run is None:
            raise MissingRecord(f"no run {ref}", hint="`atelier run list` shows the runs")
        return run

    def runs(self) -> list[Run]:
        """All runs, newest first."""
        with self._session() as session:
            return list(session.exec(select(Run).order_by(col(Run.id).desc())))

    def update_run(self, run_id: int, **fields: Any) -> Run:
        """Change some of a run's fields (status, message, episodes_done, ...)."""
        return self._update(Run, run_id, fields, fixed={"id", "created_at"},
                            missing=MissingRecord(f"no run {run_id}",
                                               hint="`atelier run list` shows the runs"),
                            updated_at=utcnow())

    # -- episodes ---------------------------------------------------------------------------

    def start_episode(self, run_id: int, number: int, prompt_hashes: dict[str, str]) -> Episode:
        """Mark episode ``number`` as being written with these prompt versions (idempotent)."""
        with self._session(write=True) as session:
            self._require_run(session, run_id)
            return upsert(
                session, Episode, {"run_id": run_id, "number": number},
                insert={"status": "writing", "prompt_hashes": dict(prompt_hashes),
                        "findings": [], "title": "", "summary": "", "started_at": utcnow()},
                update={"status": "writing", "prompt_hashes": dict(prompt_hashes),
                        "finished_at": None},
            )  # fmt: skip

    def finish_episode(
        self, run_id: int, number: int, *, title: str, summary: str, findings: list[str],
        status: str = "done",
    ) -> Episode:  # fmt: skip
        now = utcnow()
        done = {"title": title, "summary": summary, "findings": list(findings),
                "status": status, "finished_at": now}  # fmt: skip
        with self._session(write=True) as session:
            self._require_run(session, run_id)
            return upsert(
                session, Episode, {"run_id": run_id, "number": number},
                insert={**done, "prompt_hashes": {}, "started_at": None}, update=done,
            )  # fmt: skip

    def episodes(self, run_id: int) -> list[Episode]:
        with self._session() as session:
            query = select(Episode).where(Episode.run_id == run_id).order_by(col(Episode.number))
            return list(session.exec(query))

    # -- assets -----------------------------------------------------------------------------

    def put_asset(self, asset: Asset) -> Asset:
        """Record a file a run made; the same (run, path) again updates its row (but not
        ``created_at``, which stays when the file was first recorded)."""
        if asset.path.startswith("/") or "\\" in asset.path or ".." in asset.path.split("/"):
            raise StoreError(
                f"asset path {asset.path!r} is not relative to the assets folder",
                hint="store paths relative to the workspace assets folder, with '/'",
            )
        values = asset.model_dump(exclude={"id", "run_id", "path"})
        changes = {k: v for k, v in values.items() if k != "created_at"}  # first recorded
        with self._session(write=True) as session:
            return upsert(session, Asset, {"run_id": asset.run_id, "path": asset.path},
                          insert=values, update=changes)  # fmt: skip

    def assets(
        self, run_id: int | None = None, episode: int | None = None, kind: str | None = None,
        *, limit: int | None = None, offset: int = 0,
    ) -> list[Asset]:
        """Assets in the order they were recorded, optionally filtered and paged."""
        query = _asset_filter(select(Asset), run_id, episode, kind).order_by(col(Asset.id))
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            return list(session.exec(query))

    def count_assets(
        self, run_id: int | None = None, episode: int | None = None, kind: str | None = None
    ) -> int:
        query = _asset_filter(select(func.count()).select_from(Asset), run_id, episode, kind)
        with self._session() as session:
            return int(session.exec(query).one())

    def asset(self, asset_id: int) -> Asset:
        with self._session() as session:
            asset = session.get(Asset, asset_id)
        if asset is None:
            raise MissingRecord(f"no asset {asset_id}", hint="`atelier assets list` shows them")
        return asset

    # -- audits -----------------------------------------------------------------------------

    def put_audit(self, audit: Audit) -> Audit:
        """Record an audit checkpoint; the same (run, index, revision) again updates it (but
        not ``created_at``)."""
        key = {"run_id": audit.run_id, "index": audit.index, "revision": audit.revision}
        values = audit.model_dump(exclude={"id", *key})
        changes = {k: v for k, v in values.items() if k != "created_at"}  # first recorded
        with self._session(write=True) as session:
            return upsert(session, Audit, key, insert=values, update=changes)

    def update_audit(self, audit_id: int, **fields: Any) -> Audit:
        """Change some of an audit's fields (status, proposal_id, proposal_number, ...)."""
        return self._update(Audit, audit_id, fields, fixed={"id"},
                            missing=MissingRecord(f"no audit {audit_id}",
                                               hint="`atelier audit list` shows them"))

    def _update(self, model: type[RowT], row_id: int, fields: dict[str, Any], *,
                fixed: set[str], missing: StoreError, **stamps: Any) -> RowT:
        """Set ``fields`` (and ``stamps``) on one row; ``fixed`` fields may not change."""
        unknown = set(fields) - set(model.model_fields) | (fixed & set(fields))
        if unknown:
            name = f"update_{model.__tablename__.removesuffix('s')}"
            raise TypeError(f"{name}: cannot set {', '.join(sorted(unknown))}")
        with self._session(write=True) as session:
            row = session.get(model, row_id)
            if row is None:
                raise missing
            for name, value in {**fields, **stamps}.items():
                setattr(row, name, value)
            session.add(row)
        return row

    def audits(self, run_id: int | None = None, status: str | None = None) -> list[Audit]:
        query = select(Audit)
        if run_id is not None:
            query = query.where(Audit.run_id == run_id)
        if status is not None:
            query = query.where(Audit.status == status)
        order = (col(Audit.run_id), col(Audit.index), col(Audit.revision))
        with self._session() as session:
            return list(session.exec(query.order_by(*order)))

    def audit(self, ref: int | str) -> Audit:
        """An audit by its id (3 or "3")."""
        text = str(ref).strip()
        audit = None
        if text.isdigit():
            with self._session() as session:
                audit = session.get(Audit, int(text))
        if audit is None:
            raise MissingRecord(f"no audit {ref}", hint="`atelier audit list` shows the audits")
        return audit

    def latest_audit(self, run_id: int, index: int) -> Audit | None:
        """The highest revision of a run's audit checkpoint ``index``, if there is one."""
        query = (select(Audit).where(Audit.run_id == run_id, Audit.index == index)
                 .order_by(col(Audit.revision).desc()).limit(1))  # fmt: skip
        with self._session() as session:
            return session.exec(query).first()

    # -- the model-call log -----------------------------------------------------------------

    def record_call(self, run_id: int, episode: int | None, record: CallRecord) -> None:
        row = ModelCall(
            run_id=run_id, episode=episode, agent=record.agent, task=record.task,
            prompt_hash=record.prompt_hash, provider=record.provider, model=record.model,
            params=dict(record.params), seed=record.seed, prompt_tokens=record.prompt_tokens,
            completion_tokens=record.completion_tokens, latency_ms=record.latency_ms,
            attempts=record.attempts, outcome=record.outcome,
            problems=[scrub(problem) for problem in record.problems],
            started_at=record.started_at, model_sha256=record.model_sha256,
        )  # fmt: skip
        with self._session(write=True) as session:
            session.add(row)

    def calls(self, run_id: int, episodes: range | None = None) -> list[ModelCall]:
        """A run's model calls in the order they were recorded, optionally of some episodes."""
        query = select(ModelCall).where(ModelCall.run_id == run_id)
        if episodes is not None:
            query = query.where(col(ModelCall.episode).in_(list(episodes)))
        with self._session() as session:
            return list(session.exec(query.order_by(col(ModelCall.id))))

    def call_log(self, run_id: int, episode: int | None) -> StoreCallLog:
        """A ``CallLog`` (see atelier.agents.calls) that records into this store."""
        return StoreCallLog(self, run_id, episode)

    def count_calls(self, run_id: int) -> int:
        with self._session() as session:
            query = select(func.count()).select_from(ModelCall).where(ModelCall.run_id == run_id)
            return session.exec(query).one()

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _require_run(session: Session, run_id: int) -> None:
        if session.get(Run, run_id) is None:
            raise MissingRecord(f"no run {run_id}", hint="`atelier run list` shows the runs")


def _asset_filter(query: Any, run_id: int | None, episode: int | None, kind: str | None) -> Any:
    if run_id is not None:
        query = query.where(Asset.run_id == run_id)
    if episode is not None:
        query = query.where(Asset.episode == episode)
    if kind is not None:
        query = query.where(Asset.kind == kind)
    return query


@dataclass(frozen=True)
class StoreCallLog:
    """Records an agent's model calls for one run and episode; safe to share between threads."""

    store: Store
    run_id: int
    episode: int | None

    def record(self, record: CallRecord) -> None:
        self.store.record_call(self.run_id, self.episode, record)
