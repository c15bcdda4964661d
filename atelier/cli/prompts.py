"""`atelier prompts list|diff|history|check|propose`: the governed prompt files.

The working file in prompts/ is a draft; what runs is the version whose content hash the DAO
approved. Proposing a draft stores it content-addressed and opens a proposal whose
description carries the full text and the diff, and whose calldata sets the new hash.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from atelier.agents import AGENTS
from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.kernel.errors import AtelierError
from atelier.kernel.text import clip_repr
from atelier.workflows.prompt_versions import proposal_description, recover_from_proposals

if TYPE_CHECKING:
    from atelier.agents.prompt_file import PromptFile
    from atelier.governance.proposals import Proposal
    from atelier.studio import Studio

prompts_app = typer.Typer(help="Agent prompt files and their governance.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
ZERO_HASH = b"\0" * 32


def _agent(name: str) -> str:
    if name not in AGENTS:
        raise AtelierError(f"no agent called {clip_repr(name)}",
                           hint=f"agents: {', '.join(AGENTS)}")
    return name


def load_working(studio: Studio, agent: str) -> PromptFile:
    from atelier.agents.prompt_file import load_prompt

    path = studio.working_prompt_path(agent)
    if not path.exists():
        raise AtelierError(f"{path}: the {agent} prompt file is missing",
                           hint="restore it from git, or write one (see the README)")
    return load_prompt(path)


@prompts_app.command("check")
def check(ctx: typer.Context) -> None:
    """Lint the working prompt files (no chain needed)."""
    studio = studio_of(ctx)
    failures = []
    for agent in AGENTS:
        try:
            prompt = load_working(studio, agent)
        except AtelierError as exc:
            failures.append(exc)
            console.print(f"[red]✗[/] {agent}: {escape(exc.message)}", markup=True, soft_wrap=True)
        else:
            console.print(f"[green]✓[/] {agent}: {prompt.hash_hex}")
    if failures:
        raise typer.Exit(1)


@prompts_app.command("list")
def list_prompts(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Each agent's working and approved prompt hash, and whether they differ."""
    studio = studio_of(ctx)
    rows = []
    with studio.session() as dao:
        for agent in AGENTS:
            approved, version = dao.approved_prompt(agent)
            try:
                working = load_working(studio, agent).content_hash
                problem = ""
            except AtelierError as exc:
                working, problem = None, exc.message
            if approved == ZERO_HASH:
                status = "unapproved"
            elif working == approved:
                status = "approved"
            else:
                status = "draft differs"
            rows.append({"agent": agent, "working": "0x" + working.hex() if working else None,
                         "approved": "0x" + approved.hex() if approved != ZERO_HASH else None,
                         "version": version, "status": status, "problem": problem,
                         "stored": studio.prompt_store.has(approved) if version else False})
    if as_json:
        emit_json(rows)
        return
    table = Table(title="prompts")
    for column in ("agent", "status", "version", "working", "approved"):
        table.add_column(column)
    colours = {"approved": "green", "draft differs": "yellow", "unapproved": "red"}
    for r in rows:
        table.add_row(r["agent"], f"[{colours[r['status']]}]{r['status']}[/]", str(r["version"]),
                      (r["working"] or "broken")[:14] + "…", (r["approved"] or "-")[:14] + "…")
    console.print(table)


@prompts_app.command("diff")
def diff(ctx: typer.Context, agent: Annotated[str, typer.Argument(help="Agent name.")]) -> None:
    """Working file vs the approved version, coloured."""
    studio = studio_of(ctx)
    _agent(agent)
    working = load_working(studio, agent)
    with studio.session() as dao:
        approved_hash, version = dao.approved_prompt(agent)
        if approved_hash != ZERO_HASH and not studio.prompt_store.has(approved_hash):
            recover_from_proposals(studio.prompt_store, dao, [approved_hash])
    if approved_hash == ZERO_HASH:
        console.print(f"{agent} has no approved prompt yet; the whole working file is new")
        return
    store = studio.prompt_store
    if not store.has(approved_hash):
        raise AtelierError(
            f"the approved {agent} prompt (0x{approved_hash.hex()[:12]}…) is not in this "
            "workspace's prompt store", hint="it is in the text of the proposal that approved it",
        )
    old = store.get(approved_hash).normalized_text
    if old == working.normalized_text:
        console.print(f"{agent}: the working file is the approved version {version}")
        return
    console.print(f"[bold]{agent}[/]: approved v{version} → working draft")
    for line in difflib.unified_diff(old.splitlines(), working.normalized_text.splitlines(),
                                     f"approved v{version}", "working", lineterm=""):
        style = ("green" if line.startswith("+") else "red" if line.startswith("-")
                 else "cyan" if line.startswith("@@") else "")
        console.print(Text(line, style=style), soft_wrap=True)


@prompts_app.command("history")
def history(ctx: typer.Context, agent: Annotated[str, typer.Argument(help="Agent name.")],
            as_json: JsonOption = False) -> None:
    """Every version of an agent's prompt with the proposals that carried it."""
    studio = studio_of(ctx)
    _agent(agent)
    found: list[tuple[str, Proposal]] = []
    with studio.session() as dao:
        recover_from_proposals(studio.prompt_store, dao)
        current, version = dao.approved_prompt(agent)
        for proposal in dao.proposals():
            for action in proposal.actions:
                if action.target != dao.deployment.registry:
                    continue
                fn, args = dao.registry.decode_function_input(action.calldata)
                if fn.fn_name == "setPromptHash" and args["agent"] == agent:
                    found.append(("0x" + bytes(args["contentHash"]).hex(), proposal))
        states = dao.statuses([proposal for _, proposal in found])
    rows = [{"hash": digest, "proposal": proposal.number, "state": status.state.name,
             "current": digest == "0x" + current.hex()}
            for (digest, proposal), status in zip(found, states, strict=True)]
    if as_json:
        emit_json({"agent": agent, "approved_version": version, "versions": rows})
        return
    table = Table(title=f"{agent} prompt history (approved version {version})")
    for column in ("hash", "proposal", "state", "current"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["hash"][:18] + "…", str(r["proposal"]), r["state"],
                      "◀ approved" if r["current"] else "")
    if not rows:
        console.print(f"{agent}: no prompt proposals yet (approved version {version})")
    else:
        console.print(table)


@prompts_app.command("propose")
def propose(
    ctx: typer.Context,
    agents: Annotated[list[str], typer.Argument(help="Agents whose working file to propose.")],
    note: Annotated[str, typer.Option(help="Why this change (goes in the proposal).")] = "",
    as_: Annotated[str, typer.Option("--as", help="Account that proposes.")] = "alice",
    as_json: JsonOption = False,
) -> None:
    """Propose the working prompt files for approval by the DAO."""
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    store = studio.prompt_store
    with studio.session() as dao:
        changes: dict[str, tuple[PromptFile, str | None]] = {}
        for agent in dict.fromkeys(_agent(a) for a in agents):
            prompt = load_working(studio, agent)
            approved, _ = dao.approved_prompt(agent)
            if approved == prompt.content_hash:
                raise AtelierError(f"the working {agent} prompt is already the approved version",
                                   hint="edit prompts/ first; `atelier prompts diff` shows "
                                   "what differs")
            old = store.get(approved).normalized_text if store.has(approved) else None
            changes[agent] = (prompt, old)
        _refuse_secrets(changes, note)
        for prompt, _ in changes.values():
            store.put(prompt.normalized_text)
        proposal = dao.propose_prompts(
            signer, {a: p.content_hash for a, (p, _) in changes.items()},
            proposal_description(changes, note),
        )
        for agent, (prompt, _) in changes.items():
            store.record(agent, prompt.content_hash, event="proposed",
                         proposal=str(proposal.number), note=note)
    if as_json:
        emit_json({"proposal": proposal.number, "id": str(proposal.id),
                   "prompts": {a: p.hash_hex for a, (p, _) in changes.items()}})
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: "
                  + ", ".join(f"{a} → {p.hash_hex[:14]}…" for a, (p, _) in changes.items()))


def _refuse_secrets(changes: dict[str, tuple[PromptFile, str | None]], note: str) -> None:
    """A proposal's text is public and permanent (a prompt's is hashed, so it cannot be
    redacted later): a secret-shaped value in it is refused before anything is written."""
    from atelier.kernel.compliance import SECRET, check_texts

    found = check_texts([("the note", note)]) + check_texts(
        [(f"the working {agent} prompt", p.normalized_text) for agent, (p, _) in changes.items()],
        prompt_file=True)
    secret = next((f for f in found if f.kind == SECRET), None)
    if secret is not None:
        raise AtelierError(f"{secret.where} holds what looks like a secret "
                           f"({secret.detail.replace('`', '')}): a proposal is public and "
                           "permanent", hint="remove it, then propose again")
