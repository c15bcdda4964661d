"""Curation: the scriptwriter offers K outlines of an episode and the members pick one.

``outline_episode`` writes the variants and, when there are several, opens a **ballot** (a
store row with a key every signed vote carries, a reputation snapshot and a closing time on
the chain clock) and renders its page in the reader. ``curate`` pauses the run (``interrupt``,
as an audit does) until the ballot closes: its window ended or every member voted. Then the
Runner tallies the signed votes (``tally``), records the result, and resumes the run with
the winner, which ``write_script`` turns into panels.

Votes weigh the voter's reputation at the snapshot (``getPastVotes``), each signature is
checked again when counted, a tie goes to the lower variant number, and no votes at all
keep variant 1. The tally's root (keccak256 over the counted votes' EIP-712 digests, in
voter order) goes into the next audit report, whose hash the audit proposal records
on-chain: anyone holding the signed votes can recompute it and check the produced variant won.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from atelier.workflows.context import RunContext, StudioServices, WorkflowError, emit
from atelier.workflows.production import (
    agent_for,
    brief_of,
    episode_dir,
    produced_file,
    write_json,
)
from atelier.workflows.state import RunState

if TYPE_CHECKING:
    from atelier.governance.member_messages import StudioDomain
    from atelier.store.database import Store
    from atelier.store.models import Ballot, Run
    from atelier.store.models import CurationVote as VoteRow


def ballot_key(run: Run, episode: int, kind: str = "outline") -> bytes:
    """The ballot's id inside signed votes: a vote for one ballot counts on no other."""
    from atelier.workflows.audit import run_key

    return keccak(text=f"atelier-ballot:{run_key(run).hex()}:{episode}:{kind}")


# -- nodes ----------------------------------------------------------------------------------------
def outline_episode(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The episode's outline, or K variants of it and a ballot for the members."""
    from atelier.agents.scriptwriter import SeriesBible, write_outline

    context = runtime.context
    studio, store = context.get_studio(), context.get_store()
    number = state["episode"]
    store.start_episode(state["run_id"], number, state["prompts"])
    emit("episode", episode=number, prompts=state["prompts"])
    ctx = agent_for(runtime, state, "scriptwriter", number)
    opened = store.ballot_for(state["run_id"], number)
    if opened is not None:  # a rerun after a crash: the members vote on what they were shown
        variants, outlines = len(opened.variants), list(opened.variants)
    else:
        variants, outlines = studio.curation_variants, []
    bible = SeriesBible.model_validate(state["bible"])
    for variant in range(len(outlines) + 1, variants + 1):
        task = "outline" if variants == 1 else f"outline {variant} of {variants}"
        emit("step", episode=number, agent="scriptwriter", task=task)
        outline = write_outline(ctx, brief_of(state), bible, number,
                                list(state.get("summaries", [])), variant=variant,
                                variants=variants)
        outlines.append(outline.model_dump(mode="json"))
    path = episode_dir(runtime, state["run_id"], number) / "outlines.json"
    write_json(path, outlines)
    made = produced_file(runtime, path, "outlines", number, "scriptwriter", ctx)
    update: dict[str, Any] = {"outlines": outlines, "outline": None, "files": [made]}
    if variants > 1:
        ballot = open_ballot(runtime, state, outlines)
        emit("ballot", episode=number, ballot=ballot.id, variants=variants,
             closes_at=ballot.closes_at)
    return update


def open_ballot(runtime: Runtime[RunContext], state: RunState, outlines: list[dict[str, Any]]
                ) -> Ballot:
    """Store the episode's ballot (once: a rerun finds it) and write its reader page."""
    from atelier.governance.members import chain_time, members_at
    from atelier.reader.ballot import publish_ballot
    from atelier.store.models import Ballot

    context = runtime.context
    studio, store = context.get_studio(), context.get_store()
    run = store.run(state["run_id"])
    number = state["episode"]
    ballot = store.ballot_for(run.id, number)
    if ballot is None:
        with studio.session() as dao:
            # Just before the latest block: every later block is later, so reputation at
            # the snapshot is settled for good and can be read once, now.
            latest = chain_time(dao)
            snapshot = latest - 1
            electorate = members_at(dao, snapshot)
            closes_at = latest + 1 + studio.curation_window  # from the next block on
        ballot = store.open_ballot(Ballot(
            run_id=run.id, episode=number, key="0x" + ballot_key(run, number).hex(),
            variants=outlines, snapshot=snapshot, electorate=electorate,
            closes_at=closes_at))
    publish_ballot(store, studio.assets_dir, ballot)
    return ballot


def curate(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The outline to produce: the only one, or the ballot's winner (pausing until then)."""
    outlines = state.get("outlines") or []
    if len(outlines) == 1:
        return {"outline": outlines[0]}
    store = runtime.context.get_store()
    ballot = store.ballot_for(state["run_id"], state["episode"])
    if ballot is None:
        raise WorkflowError(f"episode {state['episode']} has outline variants but no ballot",
                            hint="resume the run: `atelier run resume RUN` opens it again")
    if ballot.status != "closed":
        store.update_run(state["run_id"], status="paused",
                         message=f"waiting for curation ballot {ballot.id}")
        interrupt({"kind": "curation", "run_id": state["run_id"], "ballot": ballot.id,
                   "episode": state["episode"]})
        ballot = store.ballot(ballot.id)  # the Runner closed it before resuming
        if ballot.status != "closed" or ballot.winner is None:
            raise WorkflowError("the run was resumed before its curation ballot closed",
                                hint="use `atelier run resume RUN`, which tallies the ballot")
    assert ballot.winner is not None
    emit("curated", episode=state["episode"], ballot=ballot.id, winner=ballot.winner + 1)
    return {"outline": ballot.variants[ballot.winner]}  # the outline the members chose


# -- the tally ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tally:
    ballot_id: int
    weights: tuple[int, ...]  # reputation per variant
    voters: int  # votes counted
    members: int  # accounts with reputation at the snapshot
    winner: int  # 0-based
    root: str  # 0x-hex
    rejected: tuple[str, ...]  # why a stored vote did not count
    closed: bool  # the window ended or every member voted
    closes_at: int
    now: int | None  # the chain clock it was counted at (None: not read)


def tally(store: Store, ballot: Ballot, domain: StudioDomain, now: int | None = None) -> Tally:
    """Count the ballot's signed votes. ``now`` (the chain clock) decides whether the window
    has ended; without it only "every member voted" closes the ballot. No chain reads: the
    weights were read into the ballot when it opened."""
    from atelier.governance.member_messages import InvalidMessage, digest, verify

    members = ballot.electorate  # the weights: reputation at the snapshot
    weights = [0] * len(ballot.variants)
    counted: list[tuple[str, bytes]] = []
    rejected = []
    for row in store.curation_votes(ballot.id or 0):
        message = vote_message(row, ballot)
        try:
            verify(message, bytes.fromhex(row.signature.removeprefix("0x")), domain)
        except InvalidMessage as exc:
            rejected.append(f"vote by {row.voter}: {exc.message}")
            continue
        if not 0 <= row.choice < len(weights):
            rejected.append(f"vote by {row.voter}: no variant {row.choice + 1}")
            continue
        weight = members.get(row.voter, 0)
        if weight == 0:
            rejected.append(f"vote by {row.voter}: no reputation at the ballot's snapshot")
            continue
        weights[row.choice] += weight
        counted.append((row.voter, digest(message, domain)))
    voters = {voter for voter, _ in counted}
    best = max(weights) if weights else 0
    winner = weights.index(best) if weights else 0  # the lowest variant among the tied
    root = keccak(b"".join(d for _, d in sorted(counted)))
    return Tally(ballot_id=ballot.id or 0, weights=tuple(weights), voters=len(counted),
                 members=len(members), winner=winner, root="0x" + root.hex(),
                 rejected=tuple(rejected),
                 closed=(now is not None and now >= ballot.closes_at) or set(members) <= voters,
                 closes_at=ballot.closes_at, now=now)


class BallotOpen(WorkflowError):
    """The ballot's window has not ended and not every member has voted."""


def close_if_due(studio: StudioServices, store: Store, ballot: Ballot) -> Ballot:
    """The ballot, closed with its result when its window ended or every member voted;
    raises ``BallotOpen`` (saying how far it got) otherwise."""
    from atelier.kernel.durations import format_duration
    from atelier.reader.ballot import publish_ballot

    if ballot.status == "closed":
        return ballot
    domain = studio.signing_domain()
    result = tally(store, ballot, domain)
    if not result.closed:  # not everyone voted: has the window ended?
        with studio.session() as dao:
            result = tally(store, ballot, domain, dao.now())
    if not result.closed:
        left = result.closes_at - (result.now or 0)
        raise BallotOpen(
            f"curation ballot {ballot.id} (episode {ballot.episode}) is open: {result.voters} "
            f"of {result.members} members voted; it closes in {format_duration(left)}",
            hint=f"members vote: `atelier curate vote {ballot.id} VARIANT --as NAME`; on a "
            "local chain `atelier chain advance` ends the window sooner")
    closed = store.close_ballot(ballot.id, winner=result.winner, tally=list(result.weights),
                                tally_root=result.root)
    publish_ballot(store, studio.assets_dir, closed)
    return closed


def vote_message(row: VoteRow, ballot: Ballot) -> Any:
    from atelier.governance.member_messages import CurationVote

    return CurationVote(voter=row.voter, ballot=bytes.fromhex(ballot.key.removeprefix("0x")),
                        choice=row.choice, signed_at=row.signed_at)
