"""Goals and the proposal lifecycle: propose, list, show, vote, queue, execute, cancel."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.dao import _goal_json, _print_goals
from atelier.cli.output import (
    console,
    emit_json,
    limit_option,
    offset_option,
    page_size,
    print_page_note,
    utc,
)
from atelier.cli.params import AUDIT_EVERY, EPISODE_COUNT, TOKEN_BUDGET
from atelier.kernel.durations import format_duration
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.proposals import ProposalStatus

goal_app = typer.Typer(help="Production goals: what the studio makes.", no_args_is_help=True)
proposals_app = typer.Typer(help="Governance proposals.", no_args_is_help=True)

AsOption = Annotated[str, typer.Option("--as", help="Account that signs.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
LimitOption = limit_option(50)
OffsetOption = offset_option()
ProposalArg = Annotated[str, typer.Argument(help="Proposal number (or id / 0x id prefix).")]


class Support(StrEnum):
    for_ = "for"
    against = "against"
    abstain = "abstain"


@goal_app.command("propose")
def goal_propose(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Working title of the series.")],
    brief: Annotated[str, typer.Option(help="What the series is about.")] = "",
    episodes: Annotated[int, typer.Option(parser=EPISODE_COUNT, help="Episodes to produce.")]
    = 2,
    audit_every: Annotated[int, typer.Option(parser=AUDIT_EVERY,
                                             help="Audit checkpoint every K episodes.")] = 1,
    token_budget: Annotated[int, typer.Option(parser=TOKEN_BUDGET,
                                              help="Model tokens the run may spend.")] = 200_000,
    as_: AsOption = "alice",
    as_json: JsonOption = False,
) -> None:
    """Propose a production goal; members vote on it."""
    from pydantic import ValidationError

    from atelier.governance.goals import GoalSpec

    try:
        spec = GoalSpec(title=title, brief=brief, episodes=episodes, audit_every=audit_every,
                        token_budget=token_budget)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(p) for p in problem["loc"]) or "goal"
        raise AtelierError(
            f"invalid goal: {field.replace('_', '-')}: "
            f"{str(problem['msg']).removeprefix('Value error, ')}"
        ) from None
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        proposal = dao.propose_goal(signer, spec)
        status = dao.status(proposal)
        names = dao.name_of
    if as_json:
        emit_json(_proposal_json(status, names))
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: goal “{escape(spec.title)}” "
                  f"(hash 0x{spec.content_hash.hex()[:12]}…)")
    _print_timing(status)


@goal_app.command("list")
def goal_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the goals the DAO has approved."""
    with studio_of(ctx).session() as dao:
        goals = dao.goals()
    if as_json:
        emit_json([_goal_json(g) for g in goals])
    else:
        _print_goals(goals)


@proposals_app.command("list")
def proposals_list(ctx: typer.Context, limit: LimitOption = None, offset: OffsetOption = 0,
                   as_json: JsonOption = False) -> None:
    """List proposals, newest first, with their state and tally."""
    shown = page_size(limit, as_json, table_default=50)
    with studio_of(ctx).session() as dao:
        total = dao.proposal_count()
        page = dao.proposals(limit=shown, offset=offset, newest_first=True)
        statuses = dao.statuses(page)
        names = dao.name_of
        unit = _vote_unit(dao)
        if as_json:
            emit_json([_proposal_json(s, names) for s in statuses])
            return
    if not statuses:
        console.print("no proposals yet" if not total else
                      f"no proposals past the first {offset} (there are {total})")
        return
    table = Table(title="proposals")
    for column in ("#", "title", "state", "for", "against", "abstain", "proposer", "when"):
        table.add_column(column)
    for s in statuses:
        table.add_row(
            str(s.proposal.number), escape(s.proposal.title), _state_text(s),
            _points(s.tally.for_, unit), _points(s.tally.against, unit),
            _points(s.tally.abstain, unit), escape(names(s.proposal.proposer)),
            _when(s),
        )
    console.print(table)
    print_page_note(len(statuses), offset, total, "proposals")


@proposals_app.command("show")
def proposals_show(ctx: typer.Context, proposal: ProposalArg, as_json: JsonOption = False) -> None:
    """Show one proposal: actions, description, tally and timing."""
    with studio_of(ctx).session() as dao:
        status = dao.status(dao.proposal(proposal))
        votes = dao.votes(status.proposal)
        names = dao.name_of
        unit = _vote_unit(dao)
    if as_json:
        data = _proposal_json(status, names, full=True)
        data["ballots"] = [{"voter": v.voter, "voter_name": names(v.voter), "support": v.support,
                            "weight": str(v.weight), "reason": v.reason} for v in votes]
        emit_json(data)
        return
    p = status.proposal
    console.print(f"[bold]proposal {p.number}[/]: {escape(p.title)}", soft_wrap=True)
    console.print(f"id {p.id:#x}")
    console.print(f"state {_state_text(status)} · proposer {escape(names(p.proposer))} · "
                  f"{_when(status)}")
    console.print(
        f"votes: for {_points(status.tally.for_, unit)}, against "
        f"{_points(status.tally.against, unit)}, abstain {_points(status.tally.abstain, unit)}"
        + (f" · quorum {_points(status.quorum, unit)} "
           f"({'reached' if status.quorum_reached else 'not reached'})" if status.quorum else "")
    )
    for v in votes:
        reason = f" — “{v.reason}”" if v.reason else ""
        console.print(f"  {names(v.voter)} voted {v.support} with {_points(v.weight, unit)}"
                      f"{reason}",
                      markup=False, soft_wrap=True)
    console.print("[bold]actions[/]")
    for i, action in enumerate(p.actions, start=1):
        console.print(f"  {i}. {action.summary}", soft_wrap=True, markup=False)
    console.print("[bold]description[/]")
    console.print(p.description, markup=False, soft_wrap=True)


def vote(
    ctx: typer.Context,
    proposal: ProposalArg,
    support: Annotated[Support, typer.Argument(help="for, against or abstain.")],
    as_: AsOption = "alice",
    reason: Annotated[str | None, typer.Option(help="Why; recorded on-chain.")] = None,
    by_signature: Annotated[
        bool, typer.Option("--by-signature", help="Sign the ballot off-chain (EIP-712) and let "
                           "--relayer submit it and pay the gas.")
    ] = False,
    relayer: Annotated[str, typer.Option(help="Account that relays a signed vote.")] = "deployer",
    as_json: JsonOption = False,
) -> None:
    """Vote on a proposal."""
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        target = dao.proposal(proposal)
        if by_signature:
            dao.vote_by_signature(signer, studio.signer(relayer), target, support.value, reason)
        else:
            dao.vote(signer, target, support.value, reason)
        status = dao.status(target)
        weight = int(dao.governor.functions.getVotes(signer.address, target.vote_start).call())
        unit = _vote_unit(dao)
        names = dao.name_of
    if as_json:
        emit_json({"voter": as_, "support": support.value, "weight": weight // 10**18,
                   "proposal": _proposal_json(status, names)})
        return
    console.print(f"[green]✓[/] {as_} voted {support.value} on proposal {target.number} "
                  f"with {_points(weight)} reputation")
    console.print(f"tally: for {_points(status.tally.for_, unit)}, against "
                  f"{_points(status.tally.against, unit)}, abstain "
                  f"{_points(status.tally.abstain, unit)}")
    _print_timing(status)


def queue(ctx: typer.Context, proposal: ProposalArg, as_: AsOption = "alice") -> None:
    """Queue a passed proposal in the timelock."""
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        target = dao.proposal(proposal)
        receipt = dao.queue(signer, target)
        status = dao.status(target)
    if receipt is None:
        console.print(f"proposal {target.number} is already {status.state.name.lower()}")
    else:
        console.print(f"[green]✓[/] proposal {target.number} queued")
    _print_timing(status)


def execute(ctx: typer.Context, proposal: ProposalArg, as_: AsOption = "alice") -> None:
    """Execute a queued proposal once its timelock delay is over."""
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        target = dao.proposal(proposal)
        receipt = dao.execute(signer, target)
    if receipt is None:
        console.print(f"proposal {target.number} was already executed")
    else:
        console.print(f"[green]✓[/] proposal {target.number} executed")
    for action in target.actions:
        console.print(f"  {action.summary}", markup=False, soft_wrap=True)


def cancel(ctx: typer.Context, proposal: ProposalArg, as_: AsOption = "ethics") -> None:
    """Cancel a proposal (its proposer before voting opens, or the ethics committee)."""
    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.session() as dao:
        target = dao.proposal(proposal)
        dao.cancel(signer, target)
    console.print(f"[green]✓[/] proposal {target.number} canceled by {as_}")


# -- rendering helpers --------------------------------------------------------------------
def _points(units: int, unit: int = 10**18) -> str:
    """Token units as whole points (reputation), or as whole votes with ``unit`` (a
    quadratic DAO's tallies weigh sqrt(points): ``reputation_params.vote_unit``)."""
    points = units / unit
    return f"{points:,.0f}" if points == int(points) else f"{points:,.2f}"


def _vote_unit(dao: StudioDAO) -> int:
    from atelier.governance.reputation_params import vote_unit

    return vote_unit(dao.deployment.counting)


def _state_text(status: ProposalStatus) -> str:
    colours = {"Active": "yellow", "Succeeded": "green", "Queued": "cyan", "Executed": "green",
               "Defeated": "red", "Canceled": "red", "Expired": "red", "Pending": "blue"}
    name = status.state.name
    return f"[{colours.get(name, 'white')}]{name}[/]"


def _when(status: ProposalStatus) -> str:
    p, now, name = status.proposal, status.now, status.state.name
    if name == "Pending":
        return f"voting opens in {format_duration(p.vote_start + 1 - now)}"
    if name == "Active":
        return f"voting closes in {format_duration(p.vote_end + 1 - now)}"
    if name == "Queued":
        if status.eta > now:
            return f"executable in {format_duration(status.eta - now)}"
        return "executable now"
    if name == "Succeeded":
        return "passed: queue it"
    return f"voting closed {utc(p.vote_end)}"


def _print_timing(status: ProposalStatus) -> None:
    console.print(_when(status))


def _proposal_json(
    status: ProposalStatus, names: Any = None, *, full: bool = False
) -> dict[str, Any]:
    p = status.proposal
    name = names or (lambda a: a)
    data: dict[str, Any] = {
        "number": p.number, "id": str(p.id), "title": p.title, "state": status.state.name,
        "proposer": p.proposer, "proposer_name": name(p.proposer),
        "votes": {"for": str(status.tally.for_), "against": str(status.tally.against),
                  "abstain": str(status.tally.abstain)},
        "quorum": str(status.quorum), "vote_start": p.vote_start, "vote_end": p.vote_end,
        "eta": status.eta, "now": status.now, "block": p.block, "tx_hash": p.tx_hash,
    }
    if full:
        data["description"] = p.description
        data["actions"] = [{"target": a.target, "value": str(a.value),
                            "calldata": "0x" + a.calldata.hex(), "summary": a.summary}
                           for a in p.actions]
    return data

