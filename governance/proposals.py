"""Proposals as users see them: numbered in creation order, with decoded actions and tallies.

OpenZeppelin proposal ids are 256-bit hashes; people say "proposal 7". The number is the
position of its ``ProposalCreated`` event since deployment, so every reader agrees on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from atelier.governance.proposal_state import ProposalState


@dataclass(frozen=True)
class Action:
    """One call a proposal makes through the timelock, with a readable summary."""

    target: str
    value: int
    calldata: bytes
    summary: str = ""


@dataclass(frozen=True)
class Proposal:
    number: int
    id: int
    proposer: str
    actions: tuple[Action, ...]
    description: str
    vote_start: int  # snapshot timepoint (unix time): voting opens just after it
    vote_end: int  # deadline (unix time), inclusive
    block: int
    tx_hash: str

    @property
    def title(self) -> str:
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return first.lstrip("# ").strip()[:80]

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    def call_args(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        """(targets, values, calldatas, descriptionHash) for queue / execute / cancel."""
        return (
            [a.target for a in self.actions],
            [a.value for a in self.actions],
            [a.calldata for a in self.actions],
            self.description_hash,
        )


@dataclass(frozen=True)
class Tally:
    against: int
    for_: int
    abstain: int


@dataclass(frozen=True)
class Vote:
    voter: str
    support: str  # "for" | "against" | "abstain"
    weight: int  # token units
    reason: str
    block: int
    log_index: int
    proposal_id: int = 0


@dataclass(frozen=True)
class ProposalStatus:
    proposal: Proposal
    state: ProposalState
    tally: Tally
    quorum: int  # votes (for + abstain) needed, in token units at the snapshot
    eta: int  # when a queued proposal becomes executable (0 if not queued)
    now: int  # chain time the status was read at

    @property
    def quorum_reached(self) -> bool:
        return self.tally.for_ + self.tally.abstain >= self.quorum


def parse_proposal_created(number: int, event: Any) -> Proposal:
    """Build a Proposal from a decoded ``ProposalCreated`` event (web3 ``process_log``)."""
    args = event["args"]
    actions = tuple(
        Action(target=t, value=int(v), calldata=bytes(c))
        for t, v, c in zip(args["targets"], args["values"], args["calldatas"], strict=True)
    )
    return Proposal(
        number=number,
        id=int(args["proposalId"]),
        proposer=args["proposer"],
        actions=actions,
        description=args["description"],
        vote_start=int(args["voteStart"]),
        vote_end=int(args["voteEnd"]),
        block=int(event["blockNumber"]),
        tx_hash="0x" + bytes(event["transactionHash"]).hex(),
    )
