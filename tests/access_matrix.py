"""Who may call what: the access-control table of every state-changing function of every
contract the studio deploys, by role (issue 20, item 5).

A row names a function (``Contract.function``, or ``Contract.function[case]`` when one
function is checked with different arguments) and what each role gets when it calls it:
``OK`` (the call goes through) or the name of the custom error it reverts with.
``tests/test_access_control.py`` checks every cell against the real contracts and fails when
an ABI grows a state-changing function that has no row here, so the table grows with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: The roles, each one address on the test DAO: the two contracts that hold power, the
#: ethics committee (the governor's proposal guardian), the operator (the account that
#: anchors provenance, the deployer by default), a founding member and a dev account with
#: no reputation and no role.
ROLES = ("timelock", "governor", "guardian", "operator", "member", "outsider")
OK = "ok"

#: Errors that name the refused caller, and where: the test checks the caller is the one
#: named, so a refusal for the wrong reason (another account's missing role) cannot pass.
CALLER_ARG = {
    "OwnableUnauthorizedAccount": 0,
    "AccessControlUnauthorizedAccount": 0,
    "GovernorOnlyExecutor": 0,
    "TimelockUnauthorizedCaller": 0,
    "GovernorUnableToCancel": 1,
    "ReputationDelegationRestricted": 0,  # the delegating account: the caller, or the signer
}


@dataclass(frozen=True)
class Rule:
    """What each role gets: ``allowed`` roles succeed, every other role reverts with
    ``refused``, except the roles ``special`` names (role -> error)."""

    allowed: frozenset[str]
    refused: str = ""
    special: Mapping[str, str] = field(default_factory=dict)

    def expected(self, role: str) -> str:
        if role in self.special:
            return self.special[role]
        return OK if role in self.allowed else self.refused


def only(*roles: str, refused: str, **special: str) -> Rule:
    return Rule(frozenset(roles), refused, special)


def anyone() -> Rule:
    return Rule(frozenset(ROLES))


def nobody(refused: str) -> Rule:
    return Rule(frozenset(), refused)


#: Governor functions guarded by ``onlyGovernance``: the caller must be the executor (the
#: timelock), and the call must be one an executed proposal queued in the governor, so even
#: the timelock's direct call fails (popping the governor's empty call queue panics with
#: 0x31). The intended path, a proposal making these calls, is checked apart.
GOVERNANCE_ONLY = only(refused="GovernorOnlyExecutor", timelock="Panic")
#: Owned by the timelock (Ownable): mint, burn, every registry write.
TIMELOCK_OWNED = only("timelock", refused="OwnableUnauthorizedAccount")
#: AccessControl whose admin is the timelock (the deployer renounced its admin role).
TIMELOCK_ADMIN = only("timelock", refused="AccessControlUnauthorizedAccount")
#: Reputation moves only by mint and burn; no allowance ever exists.
NON_TRANSFERABLE = nobody("ReputationNonTransferable")

TABLE: dict[str, Rule] = {
    # -- Reputation: mint and burn by the timelock; nothing else moves it
    "Reputation.mint": TIMELOCK_OWNED,
    "Reputation.burn": TIMELOCK_OWNED,
    "Reputation.transferOwnership": TIMELOCK_OWNED,
    "Reputation.renounceOwnership": TIMELOCK_OWNED,
    "Reputation.transfer": NON_TRANSFERABLE,
    "Reputation.transferFrom": NON_TRANSFERABLE,
    "Reputation.approve": NON_TRANSFERABLE,
    # a valid permit signed by a member: the signature passes, the allowance is refused
    "Reputation.permit": NON_TRANSFERABLE,
    "Reputation.delegate[self]": anyone(),
    "Reputation.delegate[another]": nobody("ReputationDelegationRestricted"),
    # a member's valid signature delegating to another account, relayed by each role
    "Reputation.delegateBySig": nobody("ReputationDelegationRestricted"),
    # -- StudioGovernor: members' acts are open to all; its settings only by proposal
    "StudioGovernor.propose": anyone(),  # proposal threshold 0 in the test DAO
    "StudioGovernor.castVote": anyone(),  # weight 0 without reputation at the snapshot
    "StudioGovernor.castVoteWithReason": anyone(),
    "StudioGovernor.castVoteWithReasonAndParams": anyone(),
    "StudioGovernor.castVoteBySig": anyone(),  # a member's signed ballot, relayed by anyone
    "StudioGovernor.castVoteWithReasonAndParamsBySig": anyone(),
    "StudioGovernor.queue": anyone(),  # a succeeded proposal
    "StudioGovernor.execute": anyone(),  # a queued proposal past its delay
    # an active proposal: the ethics committee only (its proposer only while Pending)
    "StudioGovernor.cancel": only("guardian", refused="GovernorUnableToCancel"),
    "StudioGovernor.relay": GOVERNANCE_ONLY,
    "StudioGovernor.setProposalGuardian": GOVERNANCE_ONLY,
    "StudioGovernor.setProposalThreshold": GOVERNANCE_ONLY,
    "StudioGovernor.setVotingDelay": GOVERNANCE_ONLY,
    "StudioGovernor.setVotingPeriod": GOVERNANCE_ONLY,
    "StudioGovernor.updateQuorumNumerator": GOVERNANCE_ONLY,
    "StudioGovernor.updateTimelock": GOVERNANCE_ONLY,
    # the governor refuses tokens: the treasury is the timelock
    "StudioGovernor.onERC721Received": nobody("GovernorDisabledDeposit"),
    "StudioGovernor.onERC1155Received": nobody("GovernorDisabledDeposit"),
    "StudioGovernor.onERC1155BatchReceived": nobody("GovernorDisabledDeposit"),
    # -- TimelockController: the governor proposes and cancels, anyone executes what is
    # ready, the timelock administers itself
    "TimelockController.schedule": only("governor", refused="AccessControlUnauthorizedAccount"),
    "TimelockController.scheduleBatch": only(
        "governor", refused="AccessControlUnauthorizedAccount"),
    "TimelockController.cancel": only("governor", refused="AccessControlUnauthorizedAccount"),
    "TimelockController.executeBatch": anyone(),  # a queued proposal's operation, ready
    # the executor role is open, so nobody is refused by role; the governor only ever
    # schedules batches, so no single-call operation is ever ready
    "TimelockController.execute": nobody("TimelockUnexpectedOperationState"),
    "TimelockController.grantRole": TIMELOCK_ADMIN,
    "TimelockController.revokeRole": TIMELOCK_ADMIN,
    "TimelockController.renounceRole[self]": anyone(),
    "TimelockController.renounceRole[another]": nobody("AccessControlBadConfirmation"),
    "TimelockController.updateDelay": only("timelock", refused="TimelockUnauthorizedCaller"),
    "TimelockController.onERC721Received": anyone(),
    "TimelockController.onERC1155Received": anyone(),
    "TimelockController.onERC1155BatchReceived": anyone(),
    # -- StudioRegistry: only the timelock writes
    "StudioRegistry.createGoal": TIMELOCK_OWNED,
    "StudioRegistry.setGoalActive": TIMELOCK_OWNED,
    "StudioRegistry.setPromptHash": TIMELOCK_OWNED,
    "StudioRegistry.recordAudit": TIMELOCK_OWNED,
    "StudioRegistry.setReputationRule": TIMELOCK_OWNED,
    "StudioRegistry.transferOwnership": TIMELOCK_OWNED,
    "StudioRegistry.renounceOwnership": TIMELOCK_OWNED,
    # -- ProvenanceRegistry: the operator anchors, the timelock grants and revokes
    "ProvenanceRegistry.anchor": only("operator", refused="AccessControlUnauthorizedAccount"),
    "ProvenanceRegistry.grantRole": TIMELOCK_ADMIN,
    "ProvenanceRegistry.revokeRole": TIMELOCK_ADMIN,
    "ProvenanceRegistry.renounceRole[self]": anyone(),
    "ProvenanceRegistry.renounceRole[another]": nobody("AccessControlBadConfirmation"),
}


def function_of(row: str) -> str:
    """``Contract.function`` of a row (its ``[case]`` dropped)."""
    return row.split("[", 1)[0]
