"""`atelier init`, `atelier dao status` and `atelier accounts ...`."""

from __future__ import annotations

import getpass
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json, utc
from atelier.kernel.durations import format_duration
from atelier.kernel.errors import AtelierError
from atelier.kernel.text import clip

if TYPE_CHECKING:
    from atelier.agents.prompt_file import PromptFile
    from atelier.governance.dao import StudioDAO
    from atelier.governance.deploy import DaoSettings
    from atelier.studio import Studio

dao_app = typer.Typer(help="The studio's DAO: settings, members, contracts.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts that sign votes and proposals.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Move an existing workspace aside and start over.")
    ] = False,
    deployer: Annotated[
        str, typer.Option("--deployer", help="Account that pays for the deployment.")
    ] = "deployer",
    as_json: Annotated[bool, typer.Option("--json", help="Print the deployment as JSON.")] = False,
) -> None:
    """Deploy a new studio DAO (reputation, governor, timelock, registry) into the workspace."""
    studio = studio_of(ctx)
    config = studio.config
    from atelier.governance.deploy import deploy_dao

    # Resolve everything that can fail before touching the workspace.
    gov = config.governance
    grants = {studio.address_of(name): points for name, points in config.members.items()}
    guardian = studio.address_of(gov.guardian)
    signer = studio.signer(deployer)
    operator = studio.address_of(config.workflow.operator)
    settings = dao_settings(studio)
    founding = founding_prompts(studio)
    backup = studio.workspace.prepare_new(force=force)
    if backup is not None:
        console.print(f"moved the previous workspace to [bold]{backup}[/]")
    with console.status("deploying the DAO") as status, studio.open_chain() as chain:
        deployment = deploy_dao(
            chain, signer, studio_name=config.studio.name, settings=settings, grants=grants,
            guardian=guardian, progress=lambda step: status.update(step),
            founding_prompts={agent: p.content_hash for agent, p in founding.items()},
            anchorer=operator,
        )
        deployment.save(studio.workspace.deployment_file)
        store_founding_prompts(studio, founding)
    if as_json:
        emit_json(deployment.model_dump())
        return
    names = studio.account_names()
    console.print(f"[green]✓[/] {escape(config.studio.name)} DAO deployed on the {chain.kind} "
                  f"chain (id {deployment.chain_id}) in {escape(str(studio.workspace.root))}")
    table = Table(show_header=False, box=None)
    for label, address in (("governor", deployment.governor), ("timelock", deployment.timelock),
                           ("reputation", deployment.token), ("registry", deployment.registry),
                           ("provenance", deployment.provenance or ""),
                           ("revenue splits", deployment.revenue or ""),
                           ("releases", deployment.releases or "")):
        table.add_row(label, address)
    table.add_row("members", ", ".join(f"{names.get(a, a)} ({p})" for a, p in grants.items()))
    table.add_row("ethics committee", names.get(guardian, guardian))
    table.add_row("counting", _counting_text(deployment.counting))
    table.add_row("founding prompts", ", ".join(f"{a} {p.hash_hex[:10]}…"
                                                for a, p in founding.items()) or "none")
    console.print(table)
    console.print("next: [bold]atelier goal propose --title ...[/]")


def dao_settings(studio: Studio) -> DaoSettings:
    """The governor settings and the initial reputation rule config.toml asks for at
    deployment."""
    from atelier.governance.deploy import DaoSettings, ReputationRuleSettings, RevenueRuleSettings

    gov, rep = studio.config.governance, studio.config.reputation
    return DaoSettings(
        voting_delay=gov.voting_delay, voting_period=gov.voting_period,
        timelock_delay=gov.timelock_delay, quorum_percent=gov.quorum_percent,
        proposal_threshold=gov.proposal_threshold, counting=gov.counting,
        reputation=ReputationRuleSettings(
            per_prompt_rewrite=rep.per_prompt_rewrite, per_review=rep.per_review,
            per_curation_vote=rep.per_curation_vote, per_audit_proposal=rep.per_audit_proposal,
            cap_per_audit=rep.cap_per_audit, decay_bps=rep.decay_bps,
            decay_floor=rep.decay_floor,
        ),
        revenue=RevenueRuleSettings(**studio.config.revenue.model_dump()),
    )


def founding_prompts(studio: Studio) -> dict[str, PromptFile]:
    """The working prompt files, approved as version 1 when the DAO is deployed."""
    from atelier.agents import AGENTS
    from atelier.cli.prompts import load_working

    folder = studio.prompts_dir
    # A DAO deployed without them has no approved prompt, so no run could ever start.
    if not folder.is_dir() or not any(folder.glob("*.prompty")):
        raise AtelierError(
            f"no prompt files at {clip(folder)}: a studio needs its agents' founding prompts "
            f"({', '.join(f'{a}.prompty' for a in AGENTS)})",
            hint="set [prompts] dir in config.toml to the folder of *.prompty files (relative "
            "to config.toml), or copy the prompts/ folder of the Atelier checkout there",
        )
    return {agent: load_working(studio, agent) for agent in AGENTS}


def store_founding_prompts(studio: Studio, prompts: dict[str, PromptFile]) -> None:
    store = studio.prompt_store
    for agent, prompt in prompts.items():
        store.put(prompt.normalized_text)
        store.record(agent, prompt.content_hash, event="approved", note="founding prompt")


@dao_app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show the DAO's contracts, settings, members and goals."""
    studio = studio_of(ctx)
    from atelier.governance.reputation_params import NoReputationRule, reputation_rule

    with studio.session() as dao:
        settings = {**dao.settings(), "counting": dao.deployment.counting}
        try:
            rule = reputation_rule(dao)
        except NoReputationRule:
            rule = None
        names = studio.account_names()
        members = {names.get(a, a): dao.reputation(a) for a in dao.deployment.founding_members}
        goals = dao.goals()
        anchoring = _anchoring(studio, dao)
        head = dao.chain.w3.eth.get_block("latest")
        data = {
            "studio": dao.deployment.studio_name,
            "chain": {"kind": dao.chain.kind, "chain_id": dao.deployment.chain_id,
                      "block": int(head["number"]), "time": int(head["timestamp"])},
            "contracts": {"governor": dao.deployment.governor, "timelock": dao.deployment.timelock,
                          "reputation": dao.deployment.token,
                          "registry": dao.deployment.registry,
                          "provenance": dao.deployment.provenance,
                          "revenue": dao.deployment.revenue,
                          "releases": dao.deployment.releases},
            "anchoring": anchoring,
            "settings": settings,
            "reputation_rule": asdict(rule) if rule else None,
            "members": members,
            "goals": [_goal_json(g) for g in goals],
            "proposals": dao.proposal_count(),
        }
    if as_json:
        emit_json(data)
        return
    console.print(f"[bold]{escape(data['studio'])}[/] on the {dao.chain.kind} chain "
                  f"(id {data['chain']['chain_id']}), block {data['chain']['block']} at "
                  f"{utc(data['chain']['time'])}")
    table = Table(show_header=False, box=None)
    for label, key in (("voting delay", "voting_delay"), ("voting period", "voting_period"),
                       ("timelock delay", "timelock_delay")):
        table.add_row(label, format_duration(settings[key]))
    quadratic = settings["counting"] == "quadratic"
    table.add_row("quorum", f"{settings['quorum_percent']}% of "
                  + ("√(all reputation), the votes counted as √" if quadratic else "reputation"))
    table.add_row("proposal threshold", f"{settings['proposal_threshold']} reputation")
    table.add_row("counting", _counting_text(settings["counting"]))
    if rule is None:
        table.add_row("reputation rule", "none on this registry (deployed before the rule "
                      "lived on-chain)")
    else:
        table.add_row("reputation earned",
                      f"{rule.per_prompt_rewrite} per prompt rewrite, {rule.per_review} per "
                      f"review, {rule.per_curation_vote} per curation vote, "
                      f"{rule.per_audit_proposal} per audit proposal; at most "
                      f"{rule.cap_per_audit} per audit")
        table.add_row("reputation decay",
                      f"{rule.decay_percent:g}% per audit, never below {rule.decay_floor}")
    table.add_row("ethics committee", names.get(settings["guardian"], settings["guardian"]))
    table.add_row("members", escape(", ".join(f"{n} ({p})" for n, p in members.items())))
    table.add_row("proposals", str(data["proposals"]))
    if anchoring is None:
        table.add_row("provenance", "no registry (deployed before provenance existed)")
    else:
        table.add_row("provenance", f"operator {anchoring['operator']} "
                      + ("may anchor episodes" if anchoring["may_anchor"] else
                         "[red]may not anchor[/] (the DAO revoked or never granted the role)"))
    for label, address in data["contracts"].items():
        table.add_row(label, address or "-")
    console.print(table)
    _print_goals(goals)


def _anchoring(studio: Studio, dao: StudioDAO) -> dict[str, object] | None:
    """Whether the operator may anchor provenance (None: no provenance registry)."""
    from atelier.governance.provenance import ProvenanceRegistry

    if dao.deployment.provenance is None:
        return None
    name = studio.config.workflow.operator
    operator = studio.address_of(name)
    may = ProvenanceRegistry(dao.chain, dao.deployment.provenance).can_anchor(operator)
    return {"operator": name, "address": operator, "may_anchor": may}


def _counting_text(counting: str) -> str:
    if counting == "quadratic":
        return "quadratic (a vote weighs the square root of the voter's reputation)"
    return "linear (a vote weighs the voter's reputation)"


def _goal_json(goal) -> dict:
    return {
        "id": goal.id, "content_hash": "0x" + goal.content_hash.hex(), "episodes": goal.episodes,
        "audit_every": goal.audit_every, "token_budget": goal.token_budget,
        "active": goal.active, "title": goal.spec.title if goal.spec else None,
        "proposal": goal.proposal,
    }


def _print_goals(goals: list) -> None:
    if not goals:
        console.print("no goals yet: [bold]atelier goal propose --title ...[/]")
        return
    table = Table(title="goals")
    for column in ("id", "title", "episodes", "audit every", "token budget", "active", "hash"):
        table.add_column(column)
    for g in goals:
        table.add_row(str(g.id), escape(g.spec.title) if g.spec else "?", str(g.episodes),
                      str(g.audit_every), f"{g.token_budget:,}", "yes" if g.active else "no",
                      "0x" + g.content_hash.hex()[:10] + "…")
    console.print(table)


@accounts_app.command("list")
def accounts_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the accounts this workspace can sign with (never their keys)."""
    studio = studio_of(ctx)
    accounts = {name: address for address, name in studio.account_names().items()}
    if as_json:
        emit_json({"kind": studio.config.chain.accounts, "accounts": accounts})
        return
    table = Table(title=f"{studio.config.chain.accounts} accounts")
    table.add_column("name")
    table.add_column("address")
    for name, address in accounts.items():
        table.add_row(name, address)
    console.print(table)


@accounts_app.command("new")
def accounts_new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the new account.")],
) -> None:
    """Create an encrypted keystore account (for real networks; accounts = 'keystore')."""
    studio = studio_of(ctx)
    import os

    from atelier.governance.keystore import PASSPHRASE_ENV, create_account

    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase is None:
        passphrase = getpass.getpass("passphrase: ")
        if getpass.getpass("again: ") != passphrase:
            raise AtelierError("the passphrases differ")
    address = create_account(studio.workspace.keystore_dir, name, passphrase)
    console.print(f"[green]✓[/] account {name} created: {address}")
    console.print("fund it on your network before it sends transactions")
