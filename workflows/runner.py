"""Start, resume and revise production runs: the graph with a checkpointer, driven to its
next pause, with the run's row in the store kept in step.

A run is a LangGraph thread (``run-<id>``). It pauses at an audit checkpoint; ``resume``
reads the audit proposal's state on the chain and continues only once it was executed. It
pauses at a curation ballot; ``resume`` tallies the signed votes and continues once the
ballot closed (its window ended or every member voted), with the winning variant. A
run that failed (a model that gave no valid output, a node that crashed, a killed process)
resumes from its last checkpoint: finished nodes are not run again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from atelier.agents.calls import BudgetExhausted
from atelier.governance.proposal_state import ProposalState
from atelier.kernel.errors import AtelierError
from atelier.kernel.redact import scrub
from atelier.workflows.audit import waiting_audit
from atelier.workflows.context import RunContext, RunStopped, StudioServices, WorkflowError

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from atelier.store.database import Store
    from atelier.store.models import Audit, Ballot, Run

#: Receives the progress events the nodes emit (see ``workflows.context.emit``).
EventSink = Callable[[dict[str, Any]], None]

#: Proposal states that end an audit without approving it, as the store records them.
_CLOSED = {ProposalState.Defeated: "defeated", ProposalState.Expired: "expired",
           ProposalState.Canceled: "canceled"}
_NEXT_STEP = {
    ProposalState.Pending: "voting has not opened yet",
    ProposalState.Active: "members vote: `atelier vote {n} for --as NAME`",
    ProposalState.Succeeded: "queue it: `atelier queue {n}`",
    ProposalState.Queued: "execute it after the timelock: `atelier execute {n}`",
}


@dataclass(frozen=True)
class RunOutcome:
    run: Run
    audit: Audit | None  # the audit the run waits for (or opened last)
    ballot: Ballot | None = None  # the curation ballot the run waits for

    @property
    def status(self) -> str:
        return self.run.status


class RunPaused(AtelierError):
    """``resume`` cannot continue yet: the audit proposal is open, defeated or expired."""


@dataclass
class Runner:
    studio: StudioServices
    store: Store
    on_event: EventSink | None = None
    #: Set to stop a drive before its next node (``RunStopped``); the run resumes later.
    stop: threading.Event | None = None
    # Kept across start/resume calls on one Runner (a service or a bench resumes many
    # times): the graph is compiled once, approved prompts are parsed once.
    _compiled: CompiledStateGraph[Any, Any, Any, Any] | None = field(
        default=None, init=False, repr=False)
    _run_context: RunContext | None = field(default=None, init=False, repr=False)

    # -- public API -------------------------------------------------------------------------
    def start(self, *, goal_id: int | None = None, episodes: int | None = None) -> RunOutcome:
        run = self.create(goal_id=goal_id, episodes=episodes)
        with self.studio.run_lock(run.id or 0):
            return self._drive(run, {"run_id": run.id, "goal_id": run.goal_id,
                                     "episodes": run.episodes_planned})

    def create(self, *, goal_id: int | None = None, episodes: int | None = None) -> Run:
        """The run's row for an approved goal, not driven yet (``start`` drives it; a client
        of LangGraph's server sends its id in the graph's input)."""
        with self.studio.session() as dao:
            goals = [g for g in dao.goals() if g.active]
        if goal_id is None:
            if not goals:
                raise WorkflowError("there is no active goal to produce",
                                    hint="propose one: `atelier goal propose TITLE ...`, "
                                    "then vote, queue and execute it")
            goal = goals[-1]
        else:
            matches = [g for g in goals if g.id == goal_id]
            if not matches:
                raise WorkflowError(f"goal {goal_id} is not an active goal",
                                    hint="`atelier goal list` shows the goals")
            goal = matches[0]
        count = episodes or goal.episodes
        if not 1 <= count <= goal.episodes:
            raise WorkflowError(
                f"goal {goal.id} approves {goal.episodes} episode(s), not {count}",
                hint=f"use --episodes 1..{goal.episodes}, or propose a bigger goal",
            )
        title = goal.spec.title if goal.spec else f"goal {goal.id}"
        return self.store.create_run(goal_id=goal.id, goal_title=title, episodes_planned=count,
                                     audit_every=goal.audit_every)

    def resume(self, ref: int | str) -> RunOutcome:
        run = self.store.run(ref)
        # One process drives a run at a time: two resumes at once would both make the next
        # episode (and count its model calls twice in the audit).
        with self.studio.run_lock(run.id or 0):
            run = self.store.run(run.id or 0)
            outcome = self._resume(run)
        if run.status == "budget" and outcome.status == "budget":  # raised, not enough
            raise RunPaused(f"still paused: {outcome.run.message.split('; ')[0]}",
                            hint=f"propose more: `atelier budget propose {run.goal_id} "
                            "--tokens N --as NAME`, then vote, queue and execute it")
        return outcome

    def _resume(self, run: Run) -> RunOutcome:
        from langgraph.types import Command

        if run.status == "budget":
            self._check_budget(run)
        with self._graph() as graph:  # one compiled graph for the look and the drive
            snapshot = graph.get_state(self._config(run))
            if snapshot.interrupts:
                ballot_id = _curation(snapshot.interrupts)
                if ballot_id is not None:
                    ballot = self._closed_ballot(run, ballot_id)
                    return self._drive(run, Command(resume={"ballot": ballot.id,
                                                            "winner": ballot.winner}), graph)
                audit = self._waiting_audit(run, snapshot.values)
                return self._drive(run, Command(resume={"proposal": str(audit.proposal_number)}),
                                   graph)
            # Failed or killed mid-way: continue from the last checkpoint. A process killed
            # after a node's writes were saved but before the next checkpoint leaves
            # ``next`` empty with the finished task pending: that task's writes are applied
            # and the run goes on (the node does not run again).
            if snapshot.next or snapshot.tasks:
                return self._drive(run, None, graph)
            if run.status == "done":
                raise WorkflowError(f"run {run.id} is finished",
                                    hint="start another: `atelier run start`")
            if not snapshot.values:
                if self.store.count_calls(run.id) or self.store.episodes(run.id):
                    raise WorkflowError(
                        f"run {run.id} made work but its checkpoints are gone: resuming would "
                        "start it over from the series bible",
                        hint="restore the checkpoint database (checkpoints.sqlite3 in the "
                        "workspace, or the [storage] url database) from a backup, or start "
                        "a new run: `atelier run start`")
                return self._drive(run, {"run_id": run.id, "goal_id": run.goal_id,
                                         "episodes": run.episodes_planned}, graph)
        raise WorkflowError(f"run {run.id} has nothing left to do")

    def revise_audit(self, ref: int | str) -> Audit:
        """Open a revised audit proposal after the last one was defeated or expired; it
        carries the working prompt drafts as they are now."""
        run = self.store.run(ref)
        with self.studio.run_lock(run.id or 0):
            return self._revise_audit(run)

    def _revise_audit(self, run: Run) -> Audit:
        from atelier.workflows.audit import open_audit

        with self._graph() as graph:
            snapshot = graph.get_state(self._config(run))
        if not snapshot.interrupts:
            raise WorkflowError(f"run {run.id} is not paused at an audit")
        index, latest = waiting_audit(self.store, run.id, snapshot.values)
        if latest is not None and latest.status not in _CLOSED.values():
            self._refresh(latest)
            _, latest = waiting_audit(self.store, run.id, snapshot.values)
        if latest is not None and latest.status not in _CLOSED.values():
            raise WorkflowError(
                f"audit proposal {latest.proposal_number} is still {latest.status}",
                hint="a revised audit can be opened once it is defeated or expired",
            )
        revision = (latest.revision if latest else 0) + 1
        audit = open_audit(self.studio, self.store, run, snapshot.values, index, revision)
        self.store.update_run(run.id, status="paused",
                              message=f"waiting for audit proposal {audit.proposal_number}")
        return audit

    # -- internals --------------------------------------------------------------------------
    @contextmanager
    def _graph(self) -> Iterator[CompiledStateGraph[Any, Any, Any, Any]]:
        from atelier.workflows.graph import build_graph

        if self._compiled is None:
            self._compiled = build_graph().compile()
        with self.studio.open_checkpointer() as saver:
            yield self._compiled.copy(update={"checkpointer": saver})

    def _config(self, run: Run) -> dict[str, Any]:
        # Each episode takes ~8 graph steps; leave room for audits and retries.
        return {"configurable": {"thread_id": run.thread_id},
                "max_concurrency": self.studio.max_concurrency,
                "recursion_limit": 20 * run.episodes_planned + 50}

    def _context(self) -> RunContext:
        if self._run_context is None:
            self._run_context = RunContext(studio=self.studio, store=self.store,
                                           progress=self.on_event, stop=self.stop)
        return self._run_context

    def _drive(self, run: Run, graph_input: Any,
               graph: CompiledStateGraph[Any, Any, Any, Any] | None = None) -> RunOutcome:
        """Run the graph to its next pause or its end (on ``graph``, the caller's compiled
        graph and open checkpointer, or a new one)."""
        config = self._config(run)
        self.store.update_run(run.id, status="running", message="", budget_needed=None)
        try:
            with nullcontext(graph) if graph is not None else self._graph() as compiled:
                # invoke, not stream: LangGraph 1.2's stream consumer takes a thread of the
                # node pool (max_concurrency = 1 hung); events come through RunContext.progress.
                compiled.invoke(graph_input, config, context=self._context(), durability="sync")
                snapshot = compiled.get_state(config)
        except RunStopped as exc:
            self.store.update_run(run.id, status="stopped", message=exc.message)
            raise
        except BudgetExhausted as exc:  # a pause, not a failure: no call was sent
            run = self.store.update_run(run.id, status="budget",
                                        message=f"{exc.message}; {exc.hint}",
                                        budget_needed=exc.spent + exc.needed)
            return RunOutcome(run, None)
        except BaseException as exc:
            self.store.update_run(run.id, status="failed", message=_failure(exc))
            raise
        if snapshot.interrupts:
            ballot_id = _curation(snapshot.interrupts)
            if ballot_id is not None:
                ballot = self.store.ballot(ballot_id)
                run = self.store.update_run(
                    run.id, status="paused", message=f"waiting for curation ballot "
                    f"{ballot.id} (episode {ballot.episode}): members vote (`atelier curate "
                    f"vote {ballot.id} VARIANT --as NAME`), then `atelier run resume {run.id}`")
                return RunOutcome(run, None, ballot)
            _, audit = waiting_audit(self.store, run.id, snapshot.values)
            number = audit.proposal_number if audit else "?"
            run = self.store.update_run(
                run.id, status="paused", message=f"waiting for audit proposal {number}: "
                f"members vote, then `atelier run resume {run.id}`")
            return RunOutcome(run, audit)
        audits = self.store.audits(run.id)
        last = audits[-1] if audits else None
        message = (f"final audit proposal {last.proposal_number} is open for votes"
                   if last and last.status == "open" else "")
        return RunOutcome(self.store.update_run(run.id, status="done", message=message), last)

    def _refresh(self, audit: Audit) -> ProposalState:
        """Read the audit proposal's state from the chain into the store; return it."""
        from atelier.workflows.ledger import record_executed_audit

        with self.studio.session() as dao:
            proposal = dao.proposal(str(audit.proposal_number))
            state = dao.status(proposal).state
        new = "executed" if state is ProposalState.Executed else _CLOSED.get(state, "open")
        if new != audit.status:
            audit = self.store.update_audit(audit.id, status=new)
        if new == "executed":  # the ledger learns what the approval earned (once)
            accounts = {name: a for a, name in self.studio.account_names().items()}
            record_executed_audit(self.store, audit, proposal.proposer, accounts)
        elif new != "open":  # it will not mint: its contributions count in the next audit
            from atelier.workflows.earning import release_claims

            release_claims(self.store, audit)
        return state

    def _check_budget(self, run: Run) -> None:
        """A run paused on its budget goes on once a proposal left some to spend."""
        from atelier.workflows.budget import GoalBudget

        budget = GoalBudget(self.studio, self.store, run.goal_id).budget(fresh=True)
        needed = run.budget_needed or 0
        if budget < needed:
            raise RunPaused(
                f"still paused: goal {run.goal_id}'s token budget is {budget:,}; the run "
                f"needs at least {needed:,} to go on",
                hint=f"propose more: `atelier budget propose {run.goal_id} --tokens "
                f"{max(needed, budget * 2)} --as NAME`, then vote, queue and execute it")

    def _closed_ballot(self, run: Run, ballot_id: int) -> Ballot:
        from atelier.workflows.curation import BallotOpen, close_if_due

        try:
            return close_if_due(self.studio, self.store, self.store.ballot(ballot_id))
        except BallotOpen as exc:
            self.store.update_run(run.id, status="paused", message=exc.message)
            raise RunPaused(exc.message, hint=exc.hint) from None

    def _waiting_audit(self, run: Run, values: dict[str, Any]) -> Audit:
        index, audit = waiting_audit(self.store, run.id, values)
        if audit is None or audit.proposal_number is None:
            raise WorkflowError(f"run {run.id} is paused at audit {index} but has no proposal",
                                hint="report this as a bug; the run's checkpoint is intact")
        state = self._refresh(audit)
        if state is ProposalState.Executed:
            return audit
        number = audit.proposal_number
        if state in _CLOSED:
            message = (f"audit proposal {number} was {_CLOSED[state]}: the run stays paused "
                       "with the prompts it had")
            hint = (f"edit prompts/ if the members asked for changes, then open a revised "
                    f"audit: `atelier audit propose {run.id}`")
        else:
            message = f"audit proposal {number} is {state.name}, not executed yet"
            hint = _NEXT_STEP.get(state, "see `atelier proposals show {n}`").format(n=number)
        self.store.update_run(run.id, status="paused", message=message)
        raise RunPaused(message, hint=hint)


def _curation(interrupts: Any) -> int | None:
    """The ballot a run waits on, when its pause is a curation round (not an audit)."""
    for pending in interrupts:
        value = getattr(pending, "value", None)
        if isinstance(value, dict) and value.get("kind") == "curation":
            return int(value["ballot"])
    return None


def _failure(exc: BaseException) -> str:
    """Why a run stopped, for `atelier run list` (the checkpoint lets resume go on)."""
    if isinstance(exc, AtelierError):
        return scrub(exc.message, limit=500)
    if isinstance(exc, KeyboardInterrupt):
        return "stopped by the operator (Ctrl-C)"
    return scrub(f"{exc.__class__.__name__}: {exc}", limit=500)
