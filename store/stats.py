"""Totals over the whole store, computed by the database (for the service's /status and
/metrics): runs by status, model calls per agent and outcome, episodes published."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from atelier.store.models import Episode, ModelCall, Run


@dataclass(frozen=True)
class CallTotals:
    agent: str
    outcome: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


class StoreStats:
    """Mixed into ``Store``: it provides ``_session``."""

    def _session(self, *, write: bool = False) -> AbstractContextManager[Session]:
        raise NotImplementedError  # pragma: no cover - Store's

    def runs_by_status(self) -> dict[str, int]:
        with self._session() as session:
            rows = session.exec(select(Run.status, func.count()).group_by(Run.status)).all()
        return {status: int(count) for status, count in rows}

    def call_totals(self, run_id: int | None = None, *, goal_id: int | None = None
                    ) -> list[CallTotals]:
        """Per agent and outcome: calls, tokens and seconds spent (one run, every run of one
        goal, or all)."""
        query = select(ModelCall.agent, ModelCall.outcome, func.count(),
                       func.coalesce(func.sum(ModelCall.prompt_tokens), 0),
                       func.coalesce(func.sum(ModelCall.completion_tokens), 0),
                       func.coalesce(func.sum(ModelCall.latency_ms), 0.0))
        if run_id is not None:
            query = query.where(ModelCall.run_id == run_id)
        if goal_id is not None:
            query = query.join(Run, Run.id == ModelCall.run_id).where(Run.goal_id == goal_id)
        with self._session() as session:
            rows = session.exec(query.group_by(ModelCall.agent, ModelCall.outcome)).all()
        return [CallTotals(agent=agent, outcome=outcome, calls=int(calls),
                           prompt_tokens=int(prompt), completion_tokens=int(completion),
                           latency_s=float(latency) / 1000)
                for agent, outcome, calls, prompt, completion, latency in rows]

    def tokens_by_run(self) -> dict[int, int]:
        """Model tokens (prompt + completion) each run has used."""
        query = select(ModelCall.run_id, func.sum(ModelCall.prompt_tokens
                                                  + ModelCall.completion_tokens))
        with self._session() as session:
            rows = session.exec(query.group_by(ModelCall.run_id)).all()
        return {int(run_id): int(tokens or 0) for run_id, tokens in rows}

    def tokens_by_goal(self, goal_id: int) -> int:
        """Model tokens every run of the goal has used: what its budget is held to."""
        query = (select(func.coalesce(func.sum(ModelCall.prompt_tokens
                                                + ModelCall.completion_tokens), 0))
                 .select_from(ModelCall).join(Run, Run.id == ModelCall.run_id)
                 .where(Run.goal_id == goal_id))
        with self._session() as session:
            return int(session.exec(query).one())

    def tokens_by_model(self, goal_id: int) -> list[tuple[str, str, int, int]]:
        """(provider, model, prompt tokens, completion tokens) of the goal's runs' calls."""
        query = (select(ModelCall.provider, ModelCall.model,
                        func.coalesce(func.sum(ModelCall.prompt_tokens), 0),
                        func.coalesce(func.sum(ModelCall.completion_tokens), 0))
                 .join(Run, Run.id == ModelCall.run_id).where(Run.goal_id == goal_id)
                 .group_by(ModelCall.provider, ModelCall.model))
        with self._session() as session:
            rows = session.exec(query).all()
        return [(provider, model, int(p), int(c)) for provider, model, p, c in rows]

    def count_published(self) -> int:
        """Episodes published, over every run."""
        with self._session() as session:
            return int(session.exec(select(func.count()).select_from(Episode)
                                    .where(Episode.status == "done")).one())
