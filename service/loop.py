"""The studio acting on the DAO's decisions: one loop that reads the chain and the store every
``poll_interval`` and drives runs through the ``Runner``.

What it acts on, each tick:
- a goal proposal executed since the stored cursor (a goal id above it, active, with no run
  yet) → start a run of it;
- a run paused at an audit whose proposal was decided (executed, defeated, expired,
  cancelled) → ``resume`` (executed continues; the others are recorded and the run waits for
  a revised audit);
- a run paused at a curation ballot whose window ended, or that every member voted on →
  ``resume`` (it tallies and continues with the winner);
- a run marked running whose process died (its lock is free), or one this service stopped
  on SIGTERM → ``resume`` from its checkpoint;
- a goal paused by a proposal (``setGoalActive(goal, false)``) → its run stops before its
  next node and nothing of it is resumed until a proposal makes the goal active again;
- a run paused on its goal's token budget whose budget a proposal raised → ``resume``.

Nothing here is remembered only in memory: the goal cursor is a file written atomically,
the rest is read from the store and the chain each tick, and every action is idempotent
(a run is created once per goal, a resume holds the run's lock), so a restart after SIGKILL
neither misses an event nor handles one twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.governance.proposal_state import ProposalState
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.store.database import Store
    from atelier.store.models import Run
    from atelier.workflows.context import StudioServices

log = logging.getLogger("atelier.serve")

#: Audit proposal states a paused run can act on (resume records them).
_DECIDED = {ProposalState.Executed, ProposalState.Defeated, ProposalState.Expired,
            ProposalState.Canceled}


@dataclass(frozen=True)
class Job:
    """What the service does next: start a run of a goal, or resume a run."""

    kind: str  # "start" | "resume"
    ref: int  # goal id (start) or run id (resume)
    why: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass
class ServiceState:
    """What /status and /metrics show of the loop itself."""

    started_at: float = field(default_factory=time.time)
    ticks: int = 0
    tick_errors: int = 0
    last_tick_at: float | None = None
    last_error: str = ""
    goal_cursor: int | None = None
    chain_time: int | None = None  # the chain clock at the last tick
    head_age_s: float | None = None  # wall clock minus the latest block's time
    waits: dict[int, str] = field(default_factory=dict)  # run id -> what it waits for
    jobs_done: int = 0
    jobs_failed: int = 0


class GoalCursor:
    """The highest goal id the service has handled, in a file replaced atomically. Goals
    that existed when the service first started are the operator's, not started by it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text(encoding="utf-8"))["goal"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AtelierError(f"the service cursor {self.path} is unreadable ({exc})",
                               hint="delete it to start watching from the chain's current "
                               "goals (goals approved before then are not started)") from None

    def save(self, goal: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"goal": goal}) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


class StudioService:
    def __init__(self, studio: StudioServices, cursor_file: Path, *, max_runs: int = 1,
                 poll_interval: float = 5.0) -> None:
        self.studio = studio
        self.cursor = GoalCursor(cursor_file)
        self.max_runs = max_runs
        self.poll_interval = poll_interval
        self.state = ServiceState()
        #: Set on SIGTERM: each run stops before its next node, the loop ends.
        self.stopping = threading.Event()
        self._store: Store | None = None
        self._active: dict[str, threading.Thread] = {}
        self._stops: dict[str, threading.Event] = {}  # per job: ends its run between nodes
        self._lock = threading.Lock()

    # -- the loop ---------------------------------------------------------------------------
    def serve(self) -> None:
        """Tick until ``stop()``; then wait for the runs being driven to stop."""
        log.info("service started", extra={"fields": {"max_runs": self.max_runs,
                                                     "poll_interval_s": self.poll_interval}})
        while not self.stopping.is_set():
            self.tick()
            self.stopping.wait(self.poll_interval)
        self.join()
        log.info("service stopped")

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            for event in self._stops.values():
                event.set()

    def _stop_job(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                if key in self._stops and self._active.get(key) is not None \
                        and self._active[key].is_alive():
                    log.info("stopping a run: its goal was paused", extra={"fields": {"job": key}})
                    self._stops[key].set()

    def join(self, timeout: float | None = None) -> None:
        for thread in list(self._active.values()):
            thread.join(timeout)

    def tick(self) -> list[Job]:
        """Read what changed and start the jobs it calls for (up to ``max_runs`` at once)."""
        try:
            jobs = self.pending_jobs()
        except AtelierError as exc:
            self._tick_failed(exc.message)
            return []
        except Exception as exc:  # a tick never kills the service; the next one tries again
            self._tick_failed(f"{type(exc).__name__}: {exc}")
            return []
        self.state.ticks += 1
        self.state.last_tick_at = time.time()
        started = []
        for job in jobs:
            if self._launch(job):
                started.append(job)
        return started

    def _tick_failed(self, message: str) -> None:
        self.state.tick_errors += 1
        self.state.last_error = message
        log.warning("tick failed", extra={"fields": {"error": message}})

    # -- what to do ---------------------------------------------------------------------------
    def pending_jobs(self) -> list[Job]:
        store = self.store()
        runs = store.runs()
        with self.studio.session() as dao:
            count = dao.goal_count()
            self.state.chain_time = dao.now()
            head = int(dao.chain.w3.eth.get_block("latest")["timestamp"])
            self.state.head_age_s = max(0.0, time.time() - head)
            cursor = self.cursor.load()
            if cursor is None:  # first start: what exists now is not ours to start
                cursor = count
                self.cursor.save(cursor)
            new_goals = [dao.goal(goal_id) for goal_id in range(cursor + 1, count + 1)]
            jobs = self._new_goals(new_goals, cursor, runs)
            jobs += self._runs_to_resume(dao, store, runs)
        self.state.goal_cursor = self.cursor.load()
        return jobs

    def _new_goals(self, goals: list[Any], cursor: int, runs: list[Run]) -> list[Job]:
        produced = {run.goal_id for run in runs}
        jobs, handled = [], cursor
        for goal in goals:
            if goal.active and goal.id not in produced:
                jobs.append(Job("start", goal.id, f"goal {goal.id} was approved"))
                break  # the cursor moves past it once its run exists
            handled = goal.id
        if handled != cursor:
            self.cursor.save(handled)
        return jobs

    def _runs_to_resume(self, dao: StudioDAO, store: Store, runs: list[Run]) -> list[Job]:
        from atelier.workflows.curation import tally

        jobs = []
        waits: dict[int, str] = {}
        domain = None
        unfinished = [run for run in runs
                      if run.status in ("running", "paused", "stopped", "budget")]
        goals = {goal_id: dao.goal(goal_id) for goal_id in {r.goal_id for r in unfinished}}
        # One query each for every run's open ballots and open audits, not two per run: a
        # tick's cost stays flat in the number of paused runs.
        open_ballots: dict[int, list[Any]] = {}
        for ballot in store.ballots(status="open"):
            open_ballots.setdefault(ballot.run_id, []).append(ballot)
        open_audits: dict[int, list[Any]] = {}
        for audit in store.audits(status="open"):
            open_audits.setdefault(audit.run_id, []).append(audit)
        for run in unfinished:
            run_id = run.id or 0
            goal = goals[run.goal_id]
            if not goal.active:  # paused by a proposal: stop it, resume nothing
                waits[run_id] = f"goal {run.goal_id} to be resumed by a proposal"
                self._stop_job(f"resume:{run_id}", f"start:{run.goal_id}")
                continue
            if run.status == "budget":
                if goal.token_budget >= (run.budget_needed or 0):
                    jobs.append(Job("resume", run_id, f"goal {goal.id}'s budget was raised"))
                else:
                    waits[run_id] = f"a budget proposal for goal {goal.id}"
            elif run.status == "stopped":
                jobs.append(Job("resume", run_id, "stopped by the service"))
            elif run.status == "running" and not self._driving(run) \
                    and not self.studio.run_is_live(run_id):
                jobs.append(Job("resume", run_id, "its process died mid-run"))
            elif run.status == "paused":
                ballots = open_ballots.get(run_id, [])
                if ballots:
                    domain = domain or self.studio.signing_domain()
                    result = tally(store, ballots[0], domain, self.state.chain_time)
                    waits[run_id] = f"curation ballot {ballots[0].id}"
                    if result.closed:
                        jobs.append(Job("resume", run_id, f"ballot {ballots[0].id} closed"))
                    continue
                audits = open_audits.get(run_id, [])
                if not audits or audits[-1].proposal_number is None:
                    continue
                number = audits[-1].proposal_number
                waits[run_id] = f"audit proposal {number}"
                state = dao.status(dao.proposal(str(number))).state
                if state in _DECIDED:
                    jobs.append(Job("resume", run_id, f"audit proposal {number} was "
                                    f"{state.name.lower()}"))
        self.state.waits = waits
        return jobs

    # -- doing it ---------------------------------------------------------------------------
    def driving(self) -> list[str]:
        """The jobs running now ("start:GOAL", "resume:RUN")."""
        with self._lock:
            return [key for key, thread in self._active.items() if thread.is_alive()]

    def _driving(self, run: Run) -> bool:
        """This service drives the run now (a start job holds no lock until its run row
        exists: the row alone must not look like a dead process)."""
        with self._lock:
            return (f"resume:{run.id}" in self._active or f"start:{run.goal_id}" in self._active)

    def _launch(self, job: Job) -> bool:
        with self._lock:
            self._active = {k: t for k, t in self._active.items() if t.is_alive()}
            if job.key in self._active or len(self._active) >= self.max_runs:
                return False
            stop = threading.Event()
            if self.stopping.is_set():
                stop.set()
            thread = threading.Thread(target=self._run_job, args=(job, stop), name=job.key,
                                      daemon=True)
            self._active[job.key] = thread
            self._stops[job.key] = stop
        log.info("job", extra={"fields": {"job": job.kind, "ref": job.ref, "why": job.why}})
        thread.start()
        return True

    def _run_job(self, job: Job, stop: threading.Event) -> None:
        from atelier.store.run_lock import RunBusy
        from atelier.workflows.context import RunStopped
        from atelier.workflows.runner import Runner, RunPaused

        store = self.store()
        runner = Runner(self.studio, store, on_event=self._on_event, stop=stop)
        try:
            outcome = (runner.start(goal_id=job.ref) if job.kind == "start"
                       else runner.resume(job.ref))
        except RunPaused as exc:
            log.info("still waiting", extra={"fields": {"run": job.ref, "why": exc.message}})
        except RunBusy:
            log.info("run busy in another process", extra={"fields": {"run": job.ref}})
        except RunStopped:
            if not self.stopping.is_set():  # its goal was paused by a proposal
                for run in store.runs():
                    if run.status == "stopped" and (job.kind, job.ref) in (
                            ("resume", run.id), ("start", run.goal_id)):
                        store.update_run(run.id or 0, message=(
                            f"goal {run.goal_id} was paused by a proposal: the run continues "
                            "when a proposal makes the goal active again"))
            log.info("run stopped between two nodes", extra={"fields": {"job": job.key}})
        except AtelierError as exc:
            self.state.jobs_failed += 1
            log.error("job failed", extra={"fields": {"job": job.kind, "ref": job.ref,
                                                      "error": exc.message}})
        except Exception as exc:  # the run row says "failed"; the service goes on
            self.state.jobs_failed += 1
            log.error("job crashed", extra={"fields": {"job": job.kind, "ref": job.ref,
                                                       "error": f"{type(exc).__name__}: {exc}"}})
        else:
            self.state.jobs_done += 1
            log.info("run paused" if outcome.status == "paused" else f"run {outcome.status}",
                     extra={"fields": {"run": outcome.run.id, "status": outcome.status,
                                       "message": outcome.run.message}})

    def _on_event(self, event: dict[str, Any]) -> None:
        log.debug("progress", extra={"fields": event})

    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self.studio.open_store()
            return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
