"""Drive a proposal through its lifecycle on a dev chain (embedded EVM, anvil), where the
clock can be moved: wait for voting to open → members vote → wait out the voting period →
queue → wait out the timelock delay → execute. The one driver the demo, the benchmarks and
the tests share; each step goes through ``StudioDAO`` with its pre-flight checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from atelier.governance.chain.base import DevChain
from atelier.governance.proposal_state import ProposalState
from atelier.kernel.errors import ChainError

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO, Support
    from atelier.governance.proposals import Proposal

Step = Literal["voting opened", "voted", "voting closed", "queued", "timelock passed",
               "executed"]
#: Told of each step as it happens: (step, the ballot for "voted" else None, the receipt of
#: the transaction the step sent (None if it sent none), the seconds the client took to
#: send it, pre-flight checks included).
StepListener = Callable[[Step, "Ballot | None", "TxReceipt | None", float], None]


@dataclass(frozen=True)
class Ballot:
    voter: Signer
    support: Support = "for"
    reason: str | None = None
    #: Set: the voter signs an EIP-712 ballot off-chain and this account relays it.
    relayer: Signer | None = None


def dev_chain(dao: StudioDAO) -> DevChain:
    if not isinstance(dao.chain, DevChain):
        raise ChainError("only a local dev chain's clock can be moved",
                         hint="on a real network, wait for the voting period and the timelock")
    return dao.chain


def open_voting(dao: StudioDAO, proposal: Proposal) -> None:
    """Move the clock to the first moment votes count (just after the snapshot)."""
    wait = proposal.vote_start + 1 - dao.now()
    if wait > 0:
        dev_chain(dao).advance_time(wait)


def close_voting(dao: StudioDAO, proposal: Proposal) -> None:
    """Move the clock past the voting deadline."""
    wait = proposal.vote_end + 1 - dao.now()
    if wait > 0:
        dev_chain(dao).advance_time(wait)


def wait_for_timelock(dao: StudioDAO, proposal: Proposal) -> None:
    """Move the clock to when a queued proposal becomes executable."""
    wait = dao.status(proposal).eta - dao.now() + 1
    if wait > 0:
        dev_chain(dao).advance_time(wait)


def cast(dao: StudioDAO, proposal: Proposal, ballot: Ballot) -> TxReceipt:
    if ballot.relayer is not None:
        return dao.vote_by_signature(ballot.voter, ballot.relayer, proposal, ballot.support,
                                     ballot.reason)
    return dao.vote(ballot.voter, proposal, ballot.support, ballot.reason)


def pass_proposal(dao: StudioDAO, proposal: Proposal, ballots: Sequence[Ballot], *,
                  executor: Signer, on_step: StepListener | None = None) -> ProposalState:
    """Vote ``ballots`` on ``proposal``; if it passed, queue and execute it (``executor``
    sends both). Returns its state at the end: Executed, or Defeated when the votes did not
    carry it."""

    def tell(step: Step, ballot: Ballot | None = None,
             send: Callable[[], TxReceipt | None] | None = None) -> None:
        started = time.perf_counter()
        receipt = send() if send is not None else None
        if on_step is not None:
            on_step(step, ballot, receipt, time.perf_counter() - started)

    open_voting(dao, proposal)
    tell("voting opened")
    for ballot in ballots:
        tell("voted", ballot, lambda b=ballot: cast(dao, proposal, b))
    close_voting(dao, proposal)
    tell("voting closed")
    if dao.status(proposal).state is not ProposalState.Succeeded:
        return dao.status(proposal).state
    tell("queued", None, lambda: dao.queue(executor, proposal))
    wait_for_timelock(dao, proposal)
    tell("timelock passed")
    tell("executed", None, lambda: dao.execute(executor, proposal))
    return dao.status(proposal).state
