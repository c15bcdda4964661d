"""`atelier run start|resume|status|list`: production runs, as the operator sees them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.cli.params import EPISODE_COUNT, GOAL, RUN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from atelier.store.database import Store
    from atelier.store.models import Run
    from atelier.studio import Studio
    from atelier.workflows.runner import Runner, RunOutcome

run_app = typer.Typer(help="Production runs: the agents make episodes.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
RunArg = Annotated[int, typer.Argument(parser=RUN, metavar="RUN",
                                        help="Run number (as shown by `atelier run list`).")]
STATUS_STYLE = {"running": "cyan", "paused": "yellow", "failed": "red", "done": "green",
                "interrupted": "red", "stopped": "yellow", "budget": "yellow",
                "created": "white"}


@contextmanager
def runner_for(studio: Studio, *, live: bool) -> Iterator[Runner]:
    from atelier.cli.progress import RunProgress
    from atelier.workflows.runner import Runner

    with studio.open_store() as store:
        if not live:
            yield Runner(studio, store)
            return
        with RunProgress(console) as progress:
            yield Runner(studio, store, on_event=progress.on_event)


@run_app.command("start")
def start(
    ctx: typer.Context,
    goal: Annotated[int | None, typer.Option(parser=GOAL,
                                             help="Goal id (default: the newest active).")]
    = None,
    episodes: Annotated[int | None, typer.Option(parser=EPISODE_COUNT, help="Episodes to "
                                                 "make (default: the goal's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Start a production run of an approved goal; it pauses at each audit checkpoint."""
    from atelier.agents.models.local import TINY_MODEL_NOTICE

    studio = studio_of(ctx)
    if not as_json and studio.config.models.provider == "local" and \
            studio.config.models.local.bundled:
        console.print(f"[dim]{escape(TINY_MODEL_NOTICE)}[/]", soft_wrap=True)
    with runner_for(studio, live=not as_json) as runner:
        outcome = runner.start(goal_id=goal, episodes=episodes)
    _report(outcome, as_json)


@run_app.command("create")
def create(
    ctx: typer.Context,
    goal: Annotated[int | None, typer.Option(parser=GOAL, help="Goal id (default: the newest "
                                             "active).")] = None,
    episodes: Annotated[int | None, typer.Option(parser=EPISODE_COUNT, help="Episodes to "
                                                 "make (default: the goal's).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a run without driving it: for LangGraph's server (`langgraph.json`), whose
    client sends the printed input to the graph; `run start` creates and drives at once."""
    import json as json_module

    with runner_for(studio_of(ctx), live=False) as runner:
        run = runner.create(goal_id=goal, episodes=episodes)
        # Not "running": nothing drives it yet (the service must not take it for a dead run).
        run = runner.store.update_run(run.id or 0, status="created", message=(
            "created for a client of LangGraph's server; `atelier run resume "
            f"{run.id}` drives it here instead"))
    graph_input = {"run_id": run.id, "goal_id": run.goal_id, "episodes": run.episodes_planned}
    if as_json:
        emit_json({**run_json(run), "graph_input": graph_input})
        return
    console.print(f"[green]✓[/] run [bold]{run.id}[/] created for goal {run.goal_id}; send "
                  "this input to the graph `studio` on LangGraph's server:", soft_wrap=True)
    console.print(json_module.dumps(graph_input), soft_wrap=True)


@run_app.command("resume")
def resume(ctx: typer.Context, run: RunArg, as_json: JsonOption = False) -> None:
    """Continue a paused run once its audit proposal was executed (or a failed run)."""
    with runner_for(studio_of(ctx), live=not as_json) as runner:
        outcome = runner.resume(run)
    _report(outcome, as_json)


@run_app.command("status")
def status(ctx: typer.Context, run: Annotated[int | None, typer.Argument(
        parser=RUN, metavar="RUN", help="Run number (default: the newest).")] = None,
           as_json: JsonOption = False) -> None:
    """One run: status, episodes with the prompt hashes they used, audits."""
    studio = studio_of(ctx)
    with studio.open_store() as store:
        chosen = _as_seen_now(studio, store.run(run) if run is not None else _newest(store))
        episodes = store.episodes(chosen.id)
        audits = store.audits(chosen.id)
    if as_json:
        emit_json({**run_json(chosen),
                   "episodes": [e.model_dump(mode="json") for e in episodes],
                   "audits": [_audit_brief(a) for a in audits]})
        return
    _print_run(chosen)
    if episodes:
        table = Table("episode", "title", "status", "prompt hashes used", "findings")
        for e in episodes:
            hashes = ", ".join(f"{a} {h[:10]}…" for a, h in sorted(e.prompt_hashes.items()))
            table.add_row(str(e.number), escape(e.title), e.status, hashes, str(len(e.findings)))
        console.print(table)
    for a in audits:
        console.print(f"audit {a.index}" + (f" rev {a.revision}" if a.revision > 1 else "")
                      + f" after episode {a.after_episode}: proposal {a.proposal_number} "
                      f"({a.status})")


@run_app.command("list")
def list_runs(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """All runs, newest first."""
    studio = studio_of(ctx)
    with studio.open_store() as store:
        runs = [_as_seen_now(studio, r) for r in store.runs()]
    if as_json:
        emit_json([run_json(r) for r in runs])
        return
    if not runs:
        console.print("no runs yet: `atelier run start`")
        return
    table = Table("run", "goal", "status", "episodes", "updated", "message")
    for r in runs:
        table.add_row(str(r.id), f"{r.goal_id}: {escape(r.goal_title)}", _styled(r.status),
                      f"{r.episodes_done}/{r.episodes_planned}",
                      r.updated_at.strftime("%Y-%m-%d %H:%M"), escape(r.message))
    console.print(table)


# -- output --------------------------------------------------------------------------------
def run_json(run: Run) -> dict[str, Any]:
    return run.model_dump(mode="json")


def _audit_brief(audit: Any) -> dict[str, Any]:
    return {"index": audit.index, "revision": audit.revision, "status": audit.status,
            "after_episode": audit.after_episode, "proposal": audit.proposal_number,
            "report_hash": audit.report_hash, "proposed_prompts": audit.proposed_prompts}


def _as_seen_now(studio: Studio, run: Run) -> Run:
    """A run marked running whose process is gone (killed, the machine restarted) is shown
    as interrupted: no process holds its lock."""
    if run.status != "running" or studio.run_is_live(run.id or 0):
        return run
    return run.model_copy(update={
        "status": "interrupted",
        "message": f"its process stopped mid-run: `atelier run resume {run.id}` continues "
                   "from the last checkpoint"})


def _newest(store: Store) -> Run:
    from atelier.workflows.context import WorkflowError

    runs = store.runs()
    if not runs:
        raise WorkflowError("there are no runs yet", hint="start one: `atelier run start`")
    return runs[0]


def _styled(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _print_run(run: Run) -> None:
    console.print(f"run [bold]{run.id}[/]: goal {run.goal_id} “{escape(run.goal_title)}” — "
                  f"{_styled(run.status)}, {run.episodes_done}/{run.episodes_planned} episodes",
                  soft_wrap=True)
    if run.message:
        console.print(f"  {escape(run.message)}", soft_wrap=True)


def _report(outcome: RunOutcome, as_json: bool) -> None:
    if as_json:
        ballot = outcome.ballot
        emit_json({**run_json(outcome.run),
                   "audit": _audit_brief(outcome.audit) if outcome.audit else None,
                   "ballot": {"id": ballot.id, "episode": ballot.episode,
                              "variants": len(ballot.variants), "closes_at": ballot.closes_at}
                   if ballot else None})
        return
    _print_run(outcome.run)
