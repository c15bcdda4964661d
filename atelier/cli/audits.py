"""`atelier audit list|show|propose`: the audit checkpoints of production runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.cli.params import AUDIT, RUN
from atelier.cli.runs import runner_for

audit_app = typer.Typer(help="Audit checkpoints: reports members vote on.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


@audit_app.command("list")
def list_audits(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Option(parser=RUN, help="Only this run.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Audits of all runs (or one), oldest first."""
    with studio_of(ctx).open_store() as store:
        run_id = store.run(run).id if run is not None else None
        audits = store.audits(run_id)
    if as_json:
        emit_json([a.model_dump(mode="json", exclude={"report_markdown"}) for a in audits])
        return
    if not audits:
        console.print("no audits yet: a run opens one every K episodes (the goal's audit_every)")
        return
    table = Table("audit", "run", "checkpoint", "after episode", "proposal", "status",
                  "prompt rewrites")
    for a in audits:
        table.add_row(str(a.id), str(a.run_id),
                      f"{a.index}" + (f" rev {a.revision}" if a.revision > 1 else ""),
                      str(a.after_episode), str(a.proposal_number or "-"), a.status,
                      ", ".join(a.proposed_prompts) or "-")
    console.print(table)


@audit_app.command("show")
def show(
    ctx: typer.Context,
    audit: Annotated[int, typer.Argument(parser=AUDIT, metavar="AUDIT",
                                         help="Audit number (from `atelier audit list`).")],
    as_json: JsonOption = False,
) -> None:
    """The full audit report, as members read it in the proposal."""
    with studio_of(ctx).open_store() as store:
        found = store.audit(audit)
    if as_json:
        emit_json(found.model_dump(mode="json"))
        return
    console.print(f"audit {found.id}: run {found.run_id}, checkpoint {found.index}, proposal "
                  f"{found.proposal_number} ({found.status}), report hash "
                  f"{found.report_hash[:14]}…")
    from rich.markdown import Markdown  # markdown-it and pygments: ~60 ms, only here

    console.print(Markdown(found.report_markdown))


@audit_app.command("propose")
def propose(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(parser=RUN, metavar="RUN", help="The paused run.")],
    as_json: JsonOption = False,
) -> None:
    """Open a revised audit proposal after the last was defeated or expired; it carries the
    working prompt files (edit prompts/ first if members asked for changes)."""
    with runner_for(studio_of(ctx), live=False) as runner:
        audit = runner.revise_audit(run)
    if as_json:
        emit_json(audit.model_dump(mode="json", exclude={"report_markdown"}))
        return
    rewrites = ", ".join(audit.proposed_prompts) or "no prompt rewrites"
    console.print(f"[green]✓[/] audit {audit.index} revision {audit.revision}: proposal "
                  f"[bold]{audit.proposal_number}[/] ({escape(rewrites)})")
