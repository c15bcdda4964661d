"""Sentences for the custom errors of the Atelier contracts (OpenZeppelin's and ours)."""

from __future__ import annotations

from collections.abc import Callable

from eth_utils import keccak

from atelier.governance.deploy import REPUTATION_UNIT
from atelier.governance.proposal_state import OperationState, ProposalState
from atelier.governance.revert import DecodedRevert

_ANCHOR_ROLE = keccak(text="ANCHOR_ROLE")


class Explainer:
    """Callable used by ``atelier.governance.tx``: DecodedRevert -> sentence (or None)."""

    def __init__(
        self, name_of: Callable[[str], str], number_of: Callable[[int], str]
    ) -> None:
        self._name = name_of
        self._number = number_of

    def __call__(self, error: DecodedRevert) -> str | None:
        handler = getattr(self, f"_{error.name}", None)
        if handler is None:
            return None
        try:
            return handler(*error.args)
        except (TypeError, ValueError):  # payload did not decode as expected
            return None

    def _GovernorUnexpectedProposalState(self, proposal_id: int, current: int, expected: bytes) -> str:  # noqa: E501
        wanted = ProposalState.from_bitmap(int.from_bytes(expected, "big"))
        return (
            f"proposal {self._number(proposal_id)} is {ProposalState(current).name}; "
            f"this needs it {' or '.join(s.name for s in wanted)}"
        )

    def _GovernorAlreadyCastVote(self, voter: str) -> str:
        return f"{self._name(voter)} already voted on this proposal"

    def _GovernorInsufficientProposerVotes(self, proposer: str, votes: int, threshold: int) -> str:
        return (
            f"{self._name(proposer)} has {votes // REPUTATION_UNIT} reputation; opening a "
            f"proposal needs {threshold // REPUTATION_UNIT}"
        )

    def _GovernorUnableToCancel(self, proposal_id: int, account: str) -> str:
        return (
            f"{self._name(account)} cannot cancel proposal {self._number(proposal_id)}: only its "
            "proposer (while voting has not opened) or the ethics committee can"
        )

    def _GovernorInvalidSignature(self, voter: str) -> str:
        return f"the vote signature is not a valid signature of {self._name(voter)}"

    def _GovernorInvalidProposalLength(self, targets: int, calldatas: int, values: int) -> str:
        return f"malformed proposal: {targets} targets, {calldatas} calldatas, {values} values"

    def _GovernorUnexpectedProposalStates(self, *args: object) -> str:
        return "the proposal is not in a state that allows this"

    def _TimelockUnexpectedOperationState(self, operation_id: bytes, expected: bytes) -> str:
        wanted = [s.name for s in OperationState if int.from_bytes(expected, "big") & (1 << s)]
        if "Ready" in wanted:
            return "the timelock delay has not passed yet for this proposal"
        return f"the timelock operation is not {' or '.join(wanted)}"

    def _OwnableUnauthorizedAccount(self, account: str) -> str:
        return (
            f"{self._name(account)} may not do this: only the DAO's timelock (an executed "
            "proposal) can"
        )

    def _ReputationNonTransferable(self) -> str:
        return "reputation cannot be transferred or approved: it is earned, not bought"

    def _ReputationDelegationRestricted(self, account: str, delegatee: str) -> str:
        return (f"{self._name(account)} cannot delegate to {self._name(delegatee)}: voting "
                "power stays with the member who earned it (only self-delegation)")

    def _AccessControlUnauthorizedAccount(self, account: str, role: bytes) -> str:
        if role == _ANCHOR_ROLE:
            return (f"{self._name(account)} may not anchor provenance: the DAO never granted it "
                    "the anchor role or has revoked it")
        return f"{self._name(account)} lacks the timelock role needed for this"

    def _GoalNotFound(self, goal_id: int) -> str:
        return f"there is no goal {goal_id}"

    def _InvalidGoalParameters(self, episodes: int, audit_every: int) -> str:
        return f"a goal needs episodes ≥ 1 and 1 ≤ audit_every ≤ episodes (got {episodes}, {audit_every})"  # noqa: E501

    def _EmptyContentHash(self) -> str:
        return "the content hash is empty"

    def _AuditAlreadyRecorded(self, run_id: bytes, index: int) -> str:
        return f"audit {index} of run 0x{run_id.hex()[:12]}… is already recorded"

    def _InvalidReputationRule(self, decay_bps: int) -> str:
        return (
            f"a reputation rule cannot decay more than 100% of a balance per audit "
            f"(decay of {decay_bps / 100:g}%, i.e. {decay_bps} basis points; at most 10000)"
        )

    def _ERC5805FutureLookup(self, timepoint: int, clock: int) -> str:
        return "that moment is still in the future on the chain clock"

    # -- ProvenanceRegistry ---------------------------------------------------------------
    def _EmptyRoot(self) -> str:
        return "the Merkle root is empty"

    def _EmptyBatch(self) -> str:
        return "an anchored batch needs at least one file"

    def _RootAlreadyAnchored(self, root: bytes, run_key: bytes, episode: int) -> str:
        return (f"root 0x{root.hex()[:12]}… is already anchored (episode {episode} of run "
                f"0x{run_key.hex()[:12]}…)")

    def _EpisodeAlreadyAnchored(self, run_key: bytes, episode: int, root: bytes) -> str:
        return (f"episode {episode} of run 0x{run_key.hex()[:12]}… already has its root "
                f"0x{root.hex()[:12]}…: one root per episode")

    def _PromptListMismatch(self, agents: int, prompt_hashes: int) -> str:
        return f"{agents} agents but {prompt_hashes} prompt hashes"

    # -- RevenueSplits ----------------------------------------------------------------------
    def _EmptyIncome(self) -> str:
        return "a split needs income to pay out (it was sent no ETH and no token amount)"

    def _TokenListMismatch(self, tokens: int, amounts: int) -> str:
        return f"{tokens} tokens but {amounts} amounts"

    def _PeriodAlreadySplit(self, period_end: int, last_period_end: int) -> str:
        return (f"the contributions up to ledger entry {period_end} are paid out already "
                f"(the last split ended at entry {last_period_end})")

    # -- StudioReleases ---------------------------------------------------------------------
    def _NotAnchored(self, root: bytes) -> str:
        return f"root 0x{root.hex()[:12]}… is not anchored: only a published episode is released"

    def _AlreadyReleased(self, root: bytes, token_id: int) -> str:
        return f"the episode of root 0x{root.hex()[:12]}… is release {token_id} already"

    def _NotForSale(self, token_id: int) -> str:
        return f"release {token_id} is sold: the treasury no longer holds it"

    def _WrongPrice(self, token_id: int, price: int, paid: int) -> str:
        return f"release {token_id} costs {price} wei, not {paid}"

    def _ERC721NonexistentToken(self, token_id: int) -> str:
        return f"there is no release {token_id}"
