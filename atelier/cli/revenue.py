"""`atelier revenue show|propose|claim`: the treasury's income paid out by contribution.

The period is every contribution ledger entry since the last split (the chain says where
that ended); each payee's shares are its entries times the on-chain revenue rule; a split
proposal sends the period's income to an OpenZeppelin PaymentSplitter from which each payee
claims its due.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.kernel.text import clip_repr

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.revenue import SplitPlan
    from atelier.studio import Studio

revenue_app = typer.Typer(help="The treasury's income, split by contribution: show, propose, "
                          "claim.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
AmountOption = Annotated[str | None, typer.Option(
    "--amount", help="ETH to split (default: all the treasury holds).")]
TokenOption = Annotated[list[str] | None, typer.Option(
    "--token", help="An ERC-20 (0x address) whose treasury balance is split too; repeatable.")]
WEI_PER_ETH = 10**18


def eth(wei: int) -> str:
    # Imported here: every command loads this module, and the chain's modules are slow to load.
    from atelier.governance.revenue import eth as exact

    return exact(wei)


def plan_period(studio: Studio, dao: StudioDAO, amount: str | None,
                tokens: list[str] | None = None) -> SplitPlan:
    """The next split's plan, from a ledger brought up to the chain's executed audits."""
    from atelier.governance.revenue import plan_split
    from atelier.workflows.ledger import record_executed_audits

    with studio.open_store() as store:
        record_executed_audits(studio, store, dao)  # audits that executed since: they count
        ledger = store.contributions()
    return plan_split(dao, ledger, income=None if amount is None else eth_amount(amount),
                      tokens=[_token(t) for t in tokens or ()])


def _plan_json(dao: StudioDAO, plan: SplitPlan) -> dict[str, Any]:
    return {"income_wei": str(plan.income), "income_eth": eth(plan.income),
            "entries": [plan.first_entry, plan.period_end], "rule": plan.rule,
            "tokens": {t: str(a) for t, a in plan.tokens.items()},
            "total_shares": plan.total_shares,
            "payees": [{"name": dao.name_of(p.account), "address": p.account,
                        "contributions": p.counts, "shares": p.shares,
                        "owed_wei": str(plan.owed(p)),
                        "owed_tokens": {t: str(plan.owed(p, t)) for t in plan.tokens}}
                       for p in plan.payees]}


@revenue_app.command("show")
def show(ctx: typer.Context, amount: AmountOption = None, token: TokenOption = None,
         as_json: JsonOption = False) -> None:
    """The period's income and the proposed shares, and why (contributions times the rule)."""
    from atelier.governance.revenue import dues

    studio = studio_of(ctx)
    with studio.session() as dao:
        plan = plan_period(studio, dao, amount, token)
        claims = {name: sum(d.releasable for d in dues(dao, address) if d.token is None)
                  for address, name in studio.account_names().items()}
    unclaimed = {n: w for n, w in sorted(claims.items()) if w}
    if as_json:
        emit_json({**_plan_json(dao, plan), "unclaimed_wei": {n: str(w)
                                                             for n, w in unclaimed.items()}})
        return
    rule = ", ".join(f"{k} {v}" for k, v in plan.rule.items())
    tokens = "".join(f" and {a} of token {t}" for t, a in plan.tokens.items())
    console.print(f"income: [bold]{eth(plan.income)} ETH[/]{tokens} in the treasury; contributions "
                  f"since the last split: ledger entries {plan.first_entry}..{plan.period_end}; "
                  f"shares per entry: {rule}", soft_wrap=True)
    if plan.payees:
        table = Table("payee", "contributions", "shares", "share", "ETH")
        for p in plan.payees:
            why = ", ".join(f"{n} {k} x {plan.rule[k]}" for k, n in p.counts.items())
            table.add_row(escape(dao.name_of(p.account)), why, str(p.shares),
                          f"{p.shares / plan.total_shares:.1%}", eth(plan.owed(p)))
        console.print(table)
    else:
        console.print("no contribution earns a share since the last split")
    for name, wei in unclaimed.items():
        console.print(f"unclaimed from earlier splits: {escape(name)} {eth(wei)} ETH "
                      f"(`atelier revenue claim --as {escape(name)}`)", soft_wrap=True)


@revenue_app.command("propose")
def propose(ctx: typer.Context, amount: AmountOption = None, token: TokenOption = None,
            as_: Annotated[str, typer.Option("--as", help="Account that signs.")] = "alice",
            as_json: JsonOption = False) -> None:
    """Propose to pay the period's income out by contribution; members vote on it as on any
    proposal, and its execution funds the split that payees claim from."""
    from atelier.governance.revenue import check_splittable, describe, split_actions

    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        plan = plan_period(studio, dao, amount, token)
        check_splittable(dao, plan)
        actions, splitter = split_actions(dao, plan)
        proposal = dao.propose(signer, actions, describe(dao, plan, splitter))
    if as_json:
        emit_json({"proposal": proposal.number, "id": str(proposal.id), "splitter": splitter,
                   **_plan_json(dao, plan)})
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: split {eth(plan.income)} "
                  f"ETH among {len(plan.payees)} contributor(s) through {splitter}",
                  soft_wrap=True)
    console.print(f"next: members vote (`atelier vote {proposal.number} for --as NAME`), then "
                  "queue and execute it; then each payee runs `atelier revenue claim --as "
                  "NAME`", soft_wrap=True)


Shares = Annotated[int | None, typer.Option(min=0, max=2**64 - 1,
                                            help="Shares per entry of this kind.")]


@revenue_app.command("rule")
def rule(ctx: typer.Context, prompt_rewrite: Shares = None, review: Shares = None,
         curation_vote: Shares = None, audit_proposal: Shares = None,
         operator_work: Shares = None,
         as_: Annotated[str, typer.Option("--as", help="Account that signs.")] = "alice",
         as_json: JsonOption = False) -> None:
    """Propose a new revenue rule (the kinds not given keep their shares); it applies to
    the splits proposed after it executes."""
    from atelier.governance.revenue import RevenueRefused, revenue_rule, rule_action

    studio = studio_of(ctx)
    signer = studio.signer(as_)
    asked = {"prompt_rewrite": prompt_rewrite, "review": review,
             "curation_vote": curation_vote, "audit_proposal": audit_proposal,
             "operator_work": operator_work}
    with studio.session() as dao:
        current = revenue_rule(dao)
        new = {kind: current[kind] if value is None else value for kind, value in asked.items()}
        if new == current:
            raise RevenueRefused("that is the revenue rule in force already",
                                 hint="give the shares to change, e.g. --review 3")
        changes = ", ".join(f"{k} {current[k]} → {v}" for k, v in new.items()
                            if v != current[k])
        proposal = dao.propose(signer, [rule_action(dao, new)], (
            f"# Revenue rule: {changes}\n\nShares per contribution ledger entry of each kind "
            f"for the splits proposed after this executes: "
            + ", ".join(f"{k} {v}" for k, v in new.items()) + ".\n"))
    if as_json:
        emit_json({"proposal": proposal.number, "id": str(proposal.id), "rule": new})
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: revenue rule {changes}",
                  soft_wrap=True)


@revenue_app.command("claim")
def claim(ctx: typer.Context,
          as_: Annotated[str, typer.Option("--as", help="The payee who claims.")],
          as_json: JsonOption = False) -> None:
    """Pull your due from every executed split that owes you."""
    from atelier.governance.revenue import claim as claim_dues

    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        paid = claim_dues(dao, signer)
    total = sum(due.releasable for due, _ in paid if due.token is None)
    tokens: dict[str, int] = {}
    for due, _ in paid:
        if due.token is not None:
            tokens[due.token] = tokens.get(due.token, 0) + due.releasable
    if as_json:
        emit_json({"payee": as_, "claimed_wei": str(total),
                   "claimed_tokens": {t: str(a) for t, a in tokens.items()},
                   "claims": [{"splitter": d.splitter, "token": d.token,
                               "amount": str(d.releasable),
                               "tx": r["transactionHash"].hex(), "gas": r["gasUsed"]}
                              for d, r in paid]})
        return
    also = "".join(f" and {a} of token {t}" for t, a in tokens.items())
    console.print(f"[green]✓[/] {escape(as_)} claimed {eth(total)} ETH{also} from "
                  f"{len({d.splitter for d, _ in paid})} split(s)", soft_wrap=True)


def eth_amount(text: str, *, option: str = "--amount") -> int:
    from atelier.governance.revenue import RevenueRefused

    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise RevenueRefused(f"{option} {clip_repr(text)} is not an amount of ETH",
                             hint="write it like 0.5") from None
    wei = amount * WEI_PER_ETH if amount.is_finite() else Decimal(-1)
    if wei <= 0 or wei != wei.to_integral_value() or amount > 10**9:
        raise RevenueRefused(f"{option} {clip_repr(text)} is not a positive amount of ETH "
                             "with at most 18 decimals")
    return int(wei)


def _token(text: str) -> str:
    from eth_utils import is_address, to_checksum_address

    from atelier.governance.revenue import RevenueRefused

    if not is_address(text.strip()):
        raise RevenueRefused(f"--token {clip_repr(text)} is not a 0x address of an ERC-20")
    return to_checksum_address(text.strip())
