"""`atelier review`, `atelier reviews list`, `atelier curate list|show|vote`: members rate
what the agents made and choose among the variants they offer, with signed, gasless messages
(EIP-712) that the studio checks and keeps; `atelier members list|show`: their reputation,
votes and contributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json, utc
from atelier.cli.params import BALLOT, EPISODE, RUN

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Ballot, Run

reviews_app = typer.Typer(help="Members' signed reviews of episodes.", no_args_is_help=True)
curate_app = typer.Typer(help="Curation ballots: members choose among the agents' variants.",
                         no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
AsOption = Annotated[str, typer.Option("--as", help="The member who signs.")]
RunOption = Annotated[int | None, typer.Option("--run", parser=RUN, help="The run (default: "
                                                "the newest with that episode published).")]
Rating = Annotated[int, typer.Option(min=1, max=5, help="1 (poor) to 5 (excellent).")]
BallotArg = Annotated[int, typer.Argument(parser=BALLOT, metavar="BALLOT",
                                          help="Ballot number (from `atelier curate list`).")]


def review(
    ctx: typer.Context,
    episode: Annotated[int, typer.Argument(parser=EPISODE, metavar="EPISODE",
                                           help="Episode number.")],
    scriptwriter: Rating,
    designer: Rating,
    layout: Rating,
    as_: AsOption,
    comment: Annotated[str, typer.Option(help="What worked, what should change.")] = "",
    run: RunOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rate a published episode per agent, signed by the member (a newer review of the same
    episode replaces the member's older one); the next audit reads it."""
    from atelier.workflows.community import Ratings, sign_review

    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.open_store() as store:
        chosen = _run_with_episode(store, run, episode)
        row = sign_review(studio, store, signer, chosen, episode,
                          Ratings(scriptwriter, designer, layout), comment)
    if as_json:
        emit_json(row.model_dump(mode="json"))
        return
    console.print(f"[green]✓[/] {escape(signer.name)}'s review of episode {episode} (run "
                  f"{chosen.id}) is stored: scriptwriter {scriptwriter}, designer {designer}, "
                  f"layout {layout}; signature {row.signature[:12]}…, weight {row.weight}")


@reviews_app.command("list")
def list_reviews(
    ctx: typer.Context,
    episode: Annotated[int | None, typer.Option(parser=EPISODE, help="Only this episode.")]
    = None,
    run: Annotated[int | None, typer.Option(parser=RUN, help="Only this run.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Reviews with their signatures checked again (a row altered in the store shows as
    invalid and no audit counts it)."""
    from atelier.workflows.community import review_is_valid

    studio = studio_of(ctx)
    with studio.open_store() as store:
        run_id = store.run(run).id if run is not None else None
        rows = store.reviews(run_id, episode)
        domain = studio.signing_domain() if rows else None
        problems = {r.id or 0: review_is_valid(studio, store, r, domain=domain) for r in rows}
    names = studio.account_names()
    if as_json:
        emit_json([{**r.model_dump(mode="json"), "member": names.get(r.reviewer),
                    "valid": problems[r.id or 0] is None, "problem": problems[r.id or 0]}
                   for r in rows])
        return
    if not rows:
        console.print("no reviews yet: `atelier review EPISODE --as NAME --scriptwriter N "
                      "--designer N --layout N`")
        return
    table = Table("run", "episode", "member", "scriptwriter", "designer", "layout", "weight",
                  "signed", "signature", "comment")
    for r in rows:
        problem = problems[r.id or 0]
        check = "[green]✓ valid[/]" if problem is None else f"[red]✗ {escape(problem)}[/]"
        table.add_row(str(r.run_id), str(r.episode), escape(names.get(r.reviewer, r.reviewer)),
                      str(r.scriptwriter), str(r.designer), str(r.layout), str(r.weight),
                      utc(r.signed_at), check, escape(r.comment))
    console.print(table)


# -- curation ---------------------------------------------------------------------------------
@curate_app.command("list")
def list_ballots(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Option(parser=RUN, help="Only this run.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Curation ballots, oldest first."""
    with studio_of(ctx).open_store() as store:
        run_id = store.run(run).id if run is not None else None
        ballots = store.ballots(run_id)
        votes = {b.id: len(store.curation_votes(b.id or 0)) for b in ballots}
    if as_json:
        emit_json([{**_ballot_json(b), "votes": votes[b.id]} for b in ballots])
        return
    if not ballots:
        console.print("no curation ballots yet: with [curation] variants > 1 every episode "
                      "opens one")
        return
    table = Table("ballot", "run", "episode", "variants", "status", "votes", "closes (chain)",
                  "chosen")
    for b in ballots:
        chosen = f"variant {b.winner + 1}" if b.winner is not None else "-"
        table.add_row(str(b.id), str(b.run_id), str(b.episode), str(len(b.variants)), b.status,
                      str(votes[b.id]), utc(b.closes_at), chosen)
    console.print(table)


@curate_app.command("show")
def show_ballot(ctx: typer.Context, ballot: BallotArg, as_json: JsonOption = False) -> None:
    """A ballot's variants and its tally (as of now while it is open)."""
    from atelier.workflows.curation import tally

    studio = studio_of(ctx)
    with studio.open_store() as store:
        found = store.ballot(ballot)
        with studio.session() as dao:
            result = tally(store, found, studio.signing_domain(), dao.now())
            votes = [(dao.name_of(v.voter), v.choice, v.weight)
                     for v in store.curation_votes(found.id or 0)]
    if as_json:
        emit_json({**_ballot_json(found), "tally": {
            "weights": list(result.weights), "voters": result.voters,
            "members": result.members, "leading": result.winner + 1, "root": result.root,
            "closed": result.closed, "rejected": list(result.rejected)},
            "votes": [{"member": n, "variant": c + 1, "weight": w} for n, c, w in votes]})
        return
    state = ("closed" if found.status == "closed" else
             "open: its window ended or every member voted; `atelier run resume "
             f"{found.run_id}` produces the winner" if result.closed else
             f"open until {utc(found.closes_at)} (chain time)")
    console.print(f"ballot [bold]{found.id}[/]: run {found.run_id}, episode {found.episode} — "
                  f"{state}; {result.voters} of {result.members} members voted", soft_wrap=True)
    weights = list(found.tally) if found.status == "closed" else list(result.weights)
    winner = found.winner if found.winner is not None else result.winner
    for i, variant in enumerate(found.variants):
        mark = " [green]✓[/]" if i == winner and (found.status == "closed" or result.voters) \
            else ""
        console.print(f"\n[bold]variant {i + 1}[/]: {escape(str(variant.get('title', '')))}"
                      f"{mark}  [dim]{weights[i]} reputation[/]", soft_wrap=True)
        console.print(f"  {escape(str(variant.get('summary', '')))}", soft_wrap=True)
        for scene in variant.get("scenes") or []:
            console.print(f"  - {escape(str(scene.get('setting', '')))}: "
                          f"{escape(str(scene.get('beat', '')))}", soft_wrap=True)
    for problem in result.rejected:
        console.print(f"[yellow]![/] not counted: {escape(problem)}", soft_wrap=True)
    if found.status == "open":
        console.print(f"\nvote: `atelier curate vote {found.id} VARIANT --as NAME`")


@curate_app.command("vote")
def vote(
    ctx: typer.Context,
    ballot: BallotArg,
    variant: Annotated[int, typer.Argument(min=1, max=255, help="The variant you choose "
                                           "(1-based).")],
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Choose a variant, signed by the member (a newer vote replaces the older one)."""
    from atelier.workflows.community import sign_curation_vote
    from atelier.workflows.curation import tally

    studio = studio_of(ctx)
    signer = studio.signer(as_)
    with studio.open_store() as store:
        found = store.ballot(ballot)
        row = sign_curation_vote(studio, store, signer, found, variant - 1)
        result = tally(store, found, studio.signing_domain())
    if as_json:
        emit_json({**row.model_dump(mode="json"), "variant": variant,
                   "all_voted": result.voters >= result.members})
        return
    console.print(f"[green]✓[/] {escape(signer.name)} chose variant {variant} on ballot "
                  f"{found.id} (weight {row.weight}); {result.voters} of {result.members} "
                  "members have voted")
    if result.closed:
        console.print(f"the ballot can close: `atelier run resume {found.run_id}` produces "
                      "the winner")


# -- helpers -----------------------------------------------------------------------------------
def _run_with_episode(store: Store, ref: int | None, episode: int) -> Run:
    from atelier.workflows.community import Refusal

    if ref is not None:
        return store.run(ref)
    for run in store.runs():
        found = store.episode(run.id or 0, episode)
        if found is not None and found.status == "done":
            return run
    raise Refusal(f"no run has published episode {episode} yet",
                  hint="`atelier run list` shows the runs and their episodes")


def _ballot_json(ballot: Ballot) -> dict[str, Any]:
    data = ballot.model_dump(mode="json")
    data["winner"] = None if ballot.winner is None else ballot.winner + 1  # as members vote
    return data


# -- members -----------------------------------------------------------------------------------
members_app = typer.Typer(help="Members: reputation, votes and contributions.",
                          no_args_is_help=True)
AgoOption = Annotated[str | None, typer.Option(
    "--ago", help="Also show reputation this long ago on the chain clock, e.g. 7d.")]


@members_app.command("list")
def list_members(ctx: typer.Context, ago: AgoOption = None, as_json: JsonOption = False) -> None:
    """Everyone who holds reputation, held it then, or contributed: reputation now (and
    --ago), votes cast, contributions in the ledger."""
    rows = _member_rows(ctx, ago)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print("no members: `atelier init` grants the founding members reputation")
        return
    table = Table("member", "address", "reputation", *(["then"] if ago else []), "votes cast",
                  "contributions", "unsettled")
    for r in rows:
        table.add_row(escape(r["member"]), r["address"], str(r["reputation"]),
                      *([str(r["reputation_then"])] if ago else []), str(r["votes_cast"]),
                      str(r["contributions"]), str(r["unsettled"]))
    console.print(table)


@members_app.command("show")
def show_member(ctx: typer.Context,
                name: Annotated[str, typer.Argument(help="Account name or 0x address.")],
                ago: AgoOption = None, as_json: JsonOption = False) -> None:
    """One member: reputation now (and --ago), every vote cast and every contribution."""
    from atelier.governance.members import chain_time, reputation_at
    from atelier.kernel.durations import parse_duration
    from atelier.workflows.ledger import earns_reputation, record_executed_audits

    studio = studio_of(ctx)
    address = studio.address_of(name)
    with studio.open_store() as store, studio.session() as dao:
        record_executed_audits(studio, store, dao)
        now = chain_time(dao)
        then = None if ago is None else reputation_at(dao, address,
                                                      now - _seconds(ago, parse_duration))
        votes = _votes_cast(dao).get(address, [])
        entries = store.contributions(address)
        reputation = dao.reputation(address)
    data = {"member": studio.account_names().get(address, address), "address": address,
            "reputation": reputation, "reputation_then": then,
            "votes": [{"proposal": n, "support": s, "weight": w} for n, s, w in votes],
            "contributions": [e.model_dump(mode="json") for e in entries]}
    if as_json:
        emit_json(data)
        return
    then_text = f" ({then} {ago} ago)" if then is not None else ""
    console.print(f"[bold]{escape(data['member'])}[/] {address}: {reputation} reputation"
                  f"{then_text}, {len(votes)} votes cast, {len(entries)} contributions")
    for number, support, weight in votes:
        console.print(f"  voted {support} on proposal {number} (weight {weight})")
    for e in entries:
        settled = ("revenue shares only" if not earns_reputation(e) else
                   f"settled by proposal {e.settled_by[:10]}…" if e.settled_by else "unsettled")
        console.print(f"  {e.kind}: {escape(e.ref)} [dim]({settled}; evidence "
                      f"{escape(e.evidence[:14])}…)[/]", soft_wrap=True)


def _member_rows(ctx: typer.Context, ago: str | None) -> list[dict[str, Any]]:
    from atelier.governance.members import chain_time, members_at
    from atelier.kernel.durations import parse_duration
    from atelier.workflows.ledger import earns_reputation, record_executed_audits

    studio = studio_of(ctx)
    with studio.open_store() as store, studio.session() as dao:
        record_executed_audits(studio, store, dao)
        now = chain_time(dao)
        current = members_at(dao, now)
        past = members_at(dao, now - _seconds(ago, parse_duration)) if ago else {}
        votes = _votes_cast(dao)
        entries = store.contributions()
    names = studio.account_names()
    accounts = dict.fromkeys([*current, *past, *(e.account for e in entries)])
    return [{"member": names.get(a, a), "address": a, "reputation": current.get(a, 0),
             "reputation_then": past.get(a, 0) if ago else None,
             "votes_cast": len(votes.get(a, [])),
             "contributions": sum(e.account == a for e in entries),
             "unsettled": sum(e.account == a and e.settled_by is None and earns_reputation(e)
                              for e in entries)}
            for a in sorted(accounts, key=lambda a: (-current.get(a, 0), names.get(a, a)))]


def _seconds(ago: str, parse: Any) -> int:
    from atelier.workflows.community import Refusal

    try:
        return int(parse(ago))
    except ValueError as exc:
        raise Refusal(f"--ago {ago[:40]!r} is not a duration: {exc}",
                      hint="write it like 90s, 15m, 2h, 7d") from None


def _votes_cast(dao: Any) -> dict[str, list[tuple[int | str, str, int]]]:
    """voter -> (proposal number, support, weight in whole votes) of every vote on the
    Governor (a quadratic DAO's votes weigh the square root of a member's points)."""
    from atelier.governance.reputation_params import counting, vote_unit

    unit = vote_unit(counting(dao))
    votes: dict[str, list[tuple[int | str, str, int]]] = {}
    for vote in dao.votes():
        number = dao.number_of(vote.proposal_id)
        votes.setdefault(vote.voter, []).append(
            (int(number) if number.isdigit() else number, vote.support, vote.weight // unit))
    return votes
