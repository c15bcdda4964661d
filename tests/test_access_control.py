"""The access-control matrix (issue 20, item 5): every state-changing function of every
contract the studio deploys, called by every role, against the real OpenZeppelin contracts
of the test DAO; each call is an ``eth_call`` from the role's address (contracts included:
a call needs no signature), so nothing is mined per cell and the cells do not disturb each
other.

``TABLE`` says who may call what: a row names a function (``Contract.function``, or
``Contract.function[case]`` when one function is checked with different arguments) and what
each role gets: ``OK`` (the call goes through) or the name of the custom error it reverts
with. A state-changing function in an ABI without a row fails the test, so the table grows
with the contracts."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from atelier.governance.accounts import Signer, dev_signer
from atelier.governance.artifacts import abi
from atelier.governance.ballots import ballot_for
from atelier.governance.dao import StudioDAO
from atelier.governance.lifecycle import close_voting, open_voting, wait_for_timelock
from atelier.governance.proposals import Action, Proposal
from atelier.governance.tx import call
from atelier.kernel.errors import TransactionFailed

# -- the table: who may call what ------------------------------------------------------

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
    # a queued proposal past its delay, whose actions are every GOVERNANCE_ONLY call below:
    # through the governor they all go through
    "StudioGovernor.execute": anyone(),
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
    "StudioRegistry.setGoalBudget": TIMELOCK_OWNED,
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
    # -- RevenueSplits: the timelock splits a period (with its income) and sets the rule;
    # the matrix's split carries no income, so even the timelock's call is refused for that
    "RevenueSplits.split": only(refused="OwnableUnauthorizedAccount", timelock="EmptyIncome"),
    "RevenueSplits.setRevenueRule": TIMELOCK_OWNED,
    "RevenueSplits.transferOwnership": TIMELOCK_OWNED,
    "RevenueSplits.renounceOwnership": TIMELOCK_OWNED,
    # -- StudioReleases: the timelock releases an anchored episode (the matrix's root is not
    # anchored); anyone buys a release for sale (there is none yet); token approvals are
    # each holder's own (nobody holds a token yet)
    "StudioReleases.release": only(refused="OwnableUnauthorizedAccount", timelock="NotAnchored"),
    "StudioReleases.buy": nobody("ERC721NonexistentToken"),
    "StudioReleases.approve": nobody("ERC721NonexistentToken"),
    "StudioReleases.transferFrom": nobody("ERC721NonexistentToken"),
    "StudioReleases.safeTransferFrom": nobody("ERC721NonexistentToken"),
    "StudioReleases.setApprovalForAll": anyone(),
    "StudioReleases.transferOwnership": TIMELOCK_OWNED,
    "StudioReleases.renounceOwnership": TIMELOCK_OWNED,
}


def function_of(row: str) -> str:
    """``Contract.function`` of a row (its ``[case]`` dropped)."""
    return row.split("[", 1)[0]


# -- the contracts ----------------------------------------------------------------------

#: The contracts the studio deploys (governance/deploy.py), by artifact name.
DEPLOYED = ("Reputation", "StudioGovernor", "TimelockController", "StudioRegistry",
            "ProvenanceRegistry", "RevenueSplits", "StudioReleases")
#: Artifacts of contracts the studio never deploys (the gas benchmark's baseline).
NOT_DEPLOYED = ("ReferenceGovernor", "ReferenceToken",
                # deployed by RevenueSplits per period, and the dev chains' test token
                "PaymentSplitter", "ERC20PresetFixedSupply")
ARTIFACTS = Path(__file__).resolve().parents[1] / "governance" / "artifacts"
HASH = keccak(text="access matrix")
ZERO = bytes(32)
PANIC_EMPTY_QUEUE = 0x31  # popping an empty DoubleEndedQueue: the governor's call queue


def state_changing(contract: str) -> list[dict[str, Any]]:
    return [item for item in abi(contract) if item.get("type") == "function"
            and item["stateMutability"] in ("nonpayable", "payable")]


def test_every_state_changing_function_has_a_row() -> None:
    """A function added to a contract (or a contract added to the deployment) without a row
    in the table fails here, so the matrix grows with the contracts."""
    artifacts = {path.stem for path in ARTIFACTS.glob("*.json")}
    assert artifacts == set(DEPLOYED) | set(NOT_DEPLOYED), "a new contract needs rows"
    in_abis = {f"{c}.{item['name']}" for c in DEPLOYED for item in state_changing(c)}
    in_table = {function_of(row) for row in TABLE}
    assert sorted(in_abis - in_table) == [], "state-changing functions without a row"
    assert sorted(in_table - in_abis) == [], "rows for functions no ABI has"
    for rule in TABLE.values():
        assert set(rule.allowed) <= set(ROLES) and set(rule.special) <= set(ROLES)


# -- the scene: proposals in every state the open functions need ---------------------------

@dataclass(frozen=True)
class Scene:
    dao: StudioDAO
    roles: dict[str, str]  # role -> address
    stranger: str  # an address no row's role holds: the "someone else" in arguments
    signer: str  # the member who signs the ballots, the permit and the delegation
    active: Proposal  # voting open, nobody voted yet
    succeeded: Proposal  # passed, not queued
    queued: Proposal  # queued, its delay over: registry writes only
    governance: Proposal  # queued, its delay over: every onlyGovernance call of the governor
    queued_salt: bytes  # the timelock salt of ``queued``'s operation
    min_delay: int
    signatures: dict[str, Any]


#: The governor's ``onlyGovernance`` functions and their arguments (``stranger`` filled in):
#: the matrix calls them directly, the ``governance`` proposal makes the same calls
#: (``updateTimelock`` last: the calls after it would need the new timelock).
def governance_calls(stranger: str) -> list[tuple[str, list[Any]]]:
    return [("relay", [stranger, 0, b""]), ("setProposalGuardian", [stranger]),
            ("setProposalThreshold", [1]), ("setVotingDelay", [1]), ("setVotingPeriod", [1]),
            ("updateQuorumNumerator", [1]), ("updateTimelock", [stranger])]


def _sign_typed(signer: Signer, typed: dict[str, Any]) -> Any:
    return signer.account.sign_message(encode_typed_data(full_message=typed))


def _token_signatures(dao: StudioDAO, signer: Signer, stranger: str) -> dict[str, Any]:
    """A valid Permit and a valid Delegation (to ``stranger``) signed by a member."""
    token = dao.token.functions
    domain = {"name": token.name().call(), "version": "1", "chainId": dao.chain.w3.eth.chain_id,
              "verifyingContract": dao.deployment.token}
    domain_type = [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                   {"name": "chainId", "type": "uint256"},
                   {"name": "verifyingContract", "type": "address"}]
    nonce, deadline = int(token.nonces(signer.address).call()), 2**40
    permit = _sign_typed(signer, {
        "types": {"EIP712Domain": domain_type, "Permit": [
            {"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"}]},
        "primaryType": "Permit", "domain": domain,
        "message": {"owner": signer.address, "spender": stranger, "value": 1, "nonce": nonce,
                    "deadline": deadline}})
    delegation = _sign_typed(signer, {
        "types": {"EIP712Domain": domain_type, "Delegation": [
            {"name": "delegatee", "type": "address"}, {"name": "nonce", "type": "uint256"},
            {"name": "expiry", "type": "uint256"}]},
        "primaryType": "Delegation", "domain": domain,
        "message": {"delegatee": stranger, "nonce": nonce, "expiry": deadline}})
    return {
        "permit": [signer.address, stranger, 1, deadline, permit.v, _word(permit.r),
                   _word(permit.s)],
        "delegation": [stranger, nonce, deadline, delegation.v, _word(delegation.r),
                       _word(delegation.s)],
    }


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _goal(dao: StudioDAO, tag: str) -> Action:
    return dao.registry_action("createGoal", keccak(text=tag), 1, 1, 0)


def timelock_salt(dao: StudioDAO, proposal: Proposal) -> bytes:
    """GovernorTimelockControl's salt of a proposal's operation: the governor's address
    (left-aligned) XOR the description hash."""
    governor = bytes.fromhex(dao.deployment.governor[2:]) + bytes(12)
    return bytes(a ^ b for a, b in zip(governor, proposal.description_hash, strict=True))


def build_scene(dao: StudioDAO) -> Scene:
    """Five proposals on the test DAO, ~20 transactions: goal 1 executed (so a goal exists),
    one queued and ready, one of governance calls queued and ready, one succeeded, one
    active."""
    alice, bob = dev_signer("alice"), dev_signer("bob")
    stranger = dev_signer("frank").address
    governor = dao.governor
    gov_actions = [
        Action(dao.deployment.governor, 0, bytes.fromhex(governor.encode_abi(name, args)[2:]))
        for name, args in governance_calls(stranger)]
    executed = dao.propose(alice, [_goal(dao, "matrix goal 1")], "# matrix: goal 1")
    queued = dao.propose(alice, [_goal(dao, "matrix queued")], "# matrix: queued")
    governance = dao.propose(alice, gov_actions, "# matrix: the governor's settings")
    succeeded = dao.propose(alice, [_goal(dao, "matrix succeeded")], "# matrix: succeeded")
    open_voting(dao, succeeded)
    for proposal in (executed, queued, governance, succeeded):
        dao.vote(alice, proposal, "for")  # 100 of 300: quorum (25%) and a majority
    close_voting(dao, succeeded)
    for proposal in (executed, queued, governance):
        dao.queue(alice, proposal)
    wait_for_timelock(dao, governance)
    dao.execute(alice, executed)
    active = dao.propose(alice, [_goal(dao, "matrix active")], "# matrix: active")
    open_voting(dao, active)

    salt = timelock_salt(dao, queued)
    ballot = _sign_typed(bob, ballot_for(dao, active, bob.address, 1))
    extended = _sign_typed(bob, ballot_for(dao, active, bob.address, 1, "matrix"))
    roles = {"timelock": dao.deployment.timelock, "governor": dao.deployment.governor,
             "guardian": dao.deployment.guardian, "operator": dao.deployment.deployer,
             "member": alice.address, "outsider": dev_signer("mallory").address}
    assert len(set(roles.values()) | {stranger, bob.address}) == len(roles) + 2
    return Scene(
        dao=dao, roles=roles, stranger=stranger, signer=bob.address, active=active,
        succeeded=succeeded, queued=queued, governance=governance, queued_salt=salt,
        min_delay=int(dao.timelock.functions.getMinDelay().call()),
        signatures={"ballot": bytes(ballot.signature), "extended": bytes(extended.signature),
                    **_token_signatures(dao, bob, stranger)},
    )


# -- arguments: plausible ones from the ABI, the scene's where the state matters -----------

def plain_argument(param: dict[str, Any], stranger: str) -> Any:
    """A valid value of ``param``'s ABI type: one element for arrays, 1 for numbers."""
    kind = param["type"]
    if kind.endswith("[]"):
        return [plain_argument({**param, "type": kind[:-2]}, stranger)]
    if kind == "tuple":
        return tuple(plain_argument(c, stranger) for c in param["components"])
    if kind == "address":
        return stranger
    if kind.startswith(("uint", "int")):
        return 1
    values = {"bytes32": HASH, "bytes": b"", "string": "matrix", "bool": True}
    if kind not in values:
        raise AssertionError(f"no plausible argument for ABI type {kind}: add one")
    return values[kind]


Arguments = Callable[[Scene, str], list[Any]]  # (scene, caller address) -> arguments

_PROPOSER = keccak(text="PROPOSER_ROLE")
_ANCHOR = keccak(text="ANCHOR_ROLE")


def _timelock_op(scene: Scene) -> list[Any]:
    targets, values, calldatas, _ = scene.queued.call_args()
    return [targets, values, calldatas, ZERO, scene.queued_salt]


ARGUMENTS: dict[str, Arguments] = {
    "Reputation.burn": lambda s, _: [s.roles["member"], 1],
    "Reputation.transferFrom": lambda s, _: [s.roles["member"], s.stranger, 1],
    "Reputation.permit": lambda s, _: s.signatures["permit"],
    "Reputation.delegate[self]": lambda _, caller: [caller],
    "Reputation.delegateBySig": lambda s, _: s.signatures["delegation"],
    "StudioGovernor.castVote": lambda s, _: [s.active.id, 1],
    "StudioGovernor.castVoteWithReason": lambda s, _: [s.active.id, 1, "matrix"],
    "StudioGovernor.castVoteWithReasonAndParams": lambda s, _: [s.active.id, 1, "matrix", b""],
    "StudioGovernor.castVoteBySig":
        lambda s, _: [s.active.id, 1, s.signer, s.signatures["ballot"]],
    "StudioGovernor.castVoteWithReasonAndParamsBySig":
        lambda s, _: [s.active.id, 1, s.signer, "matrix", b"",
                      s.signatures["extended"]],
    "StudioGovernor.queue": lambda s, _: list(s.succeeded.call_args()),
    "StudioGovernor.execute": lambda s, _: list(s.governance.call_args()),
    "StudioGovernor.cancel": lambda s, _: list(s.active.call_args()),
    **{f"StudioGovernor.{name}": (lambda s, _, a=args: a)
       for name, args in governance_calls(dev_signer("frank").address)},
    "TimelockController.schedule":
        lambda s, _: [s.stranger, 0, b"", ZERO, HASH, s.min_delay],
    "TimelockController.scheduleBatch":
        lambda s, _: [[s.stranger], [0], [b""], ZERO, HASH, s.min_delay],
    "TimelockController.cancel": lambda s, _: [
        s.dao.timelock.functions.hashOperationBatch(*_timelock_op(s)).call()],
    "TimelockController.executeBatch": lambda s, _: _timelock_op(s),
    "TimelockController.grantRole": lambda s, _: [_PROPOSER, s.stranger],
    "TimelockController.revokeRole": lambda s, _: [_PROPOSER, s.roles["governor"]],
    "TimelockController.renounceRole[self]": lambda _, caller: [_PROPOSER, caller],
    "TimelockController.renounceRole[another]": lambda s, _: [_PROPOSER, s.stranger],
    "StudioRegistry.setGoalActive": lambda _, __: [1, False],
    "StudioRegistry.setGoalBudget": lambda _, __: [1, 10**6],
    "RevenueSplits.split": lambda s, _: [1, [s.stranger], [1], [], []],  # no tokens, no ETH
    "ProvenanceRegistry.grantRole": lambda s, _: [_ANCHOR, s.stranger],
    "ProvenanceRegistry.revokeRole": lambda s, _: [_ANCHOR, s.roles["operator"]],
    "ProvenanceRegistry.renounceRole[self]": lambda _, caller: [_ANCHOR, caller],
    "ProvenanceRegistry.renounceRole[another]": lambda s, _: [_ANCHOR, s.stranger],
}


def contract_of(scene: Scene, name: str) -> Any:
    from atelier.governance.releases import releases_contract

    if name == "StudioReleases":
        return releases_contract(scene.dao)
    return {"Reputation": scene.dao.token, "StudioGovernor": scene.dao.governor,
            "TimelockController": scene.dao.timelock, "StudioRegistry": scene.dao.registry,
            "ProvenanceRegistry": scene.dao.provenance, "RevenueSplits": scene.dao.revenue}[name]


def arguments(scene: Scene, row: str, caller: str) -> list[Any]:
    if row in ARGUMENTS:
        return ARGUMENTS[row](scene, caller)
    contract, function = function_of(row).split(".")
    item = next(i for i in state_changing(contract) if i["name"] == function)
    return [plain_argument(p, scene.stranger) for p in item["inputs"]]


def outcome(scene: Scene, row: str, role: str) -> tuple[str, tuple[Any, ...]]:
    """(``OK`` or the decoded error's name, its arguments) of ``role`` calling ``row``."""
    caller = scene.roles[role]
    contract, function = function_of(row).split(".")
    fn = contract_of(scene, contract).functions[function](*arguments(scene, row, caller))
    try:
        call(fn, action=row, sender=caller)
    except TransactionFailed as failed:
        return failed.error_name or f"undecoded revert: {failed.message}", failed.error_args
    return OK, ()


def mismatch(scene: Scene, row: str, role: str, rule: Rule | None = None) -> str | None:
    """Why the cell disagrees with the table (or with ``rule``), or None."""
    expected = (rule or TABLE[row]).expected(role)
    got, args = outcome(scene, row, role)
    if got != expected:
        return f"{row} by {role}: expected {expected}, got {got}{args}"
    # a relayed signature is refused in its signer's name, whoever relays it
    named = scene.signer if row.endswith("BySig") else scene.roles[role]
    if got in CALLER_ARG and args[CALLER_ARG[got]] != named:
        return f"{row} by {role}: {got} names {args[CALLER_ARG[got]]}, not {named}"
    if got == "Panic" and args != (PANIC_EMPTY_QUEUE,):
        return f"{row} by {role}: Panic{args}, not the governor's empty call queue"
    return None


def test_only_the_intended_roles_can_call_each_function(dao: StudioDAO) -> None:
    scene = build_scene(dao)
    assert dao.provenance.functions.hasRole(_ANCHOR, scene.roles["operator"]).call()
    block = dao.chain.w3.eth.block_number
    started = time.perf_counter()
    problems = [problem for row in TABLE for role in ROLES
                if (problem := mismatch(scene, row, role)) is not None]
    elapsed = time.perf_counter() - started
    functions = {function_of(row) for row in TABLE}
    allowed = sum(TABLE[row].expected(role) == OK for row in TABLE for role in ROLES)
    print(f"\naccess-control matrix: {len(functions)} functions of {len(DEPLOYED)} contracts "
          f"({len(TABLE)} rows) x {len(ROLES)} roles = {len(TABLE) * len(ROLES)} calls, "
          f"{allowed} allowed, {len(TABLE) * len(ROLES) - allowed} refused, "
          f"{elapsed:.1f} s")
    assert problems == [], "\n".join(problems)
    assert dao.chain.w3.eth.block_number == block  # calls only: the cells share one state
    # The cells can fail: the same calls judged against wrong rules disagree.
    assert mismatch(scene, "Reputation.mint", "member", anyone()) is not None
    assert mismatch(scene, "Reputation.mint", "timelock", nobody("Ownable...")) is not None
    assert mismatch(scene, "StudioGovernor.relay", "timelock", anyone()) is not None
    assert mismatch(scene, "ProvenanceRegistry.anchor", "timelock",
                    only("timelock", refused="AccessControlUnauthorizedAccount")) is not None
    check_the_governor_changes_only_through_itself(scene)


def check_the_governor_changes_only_through_itself(scene: Scene) -> None:
    """The governance proposal (every ``onlyGovernance`` call) executes through the governor
    (the matrix's ``StudioGovernor.execute`` row); its ready timelock operation, executed on
    the timelock directly (the executor role is open to anyone), fails: the governor accepts
    only the calls it queued itself while executing."""
    dao, outsider = scene.dao, scene.roles["outsider"]
    targets, values, calldatas, _ = scene.governance.call_args()
    operation = [targets, values, calldatas, ZERO, timelock_salt(dao, scene.governance)]
    timelock = dao.timelock.functions
    assert timelock.isOperationReady(timelock.hashOperationBatch(*operation).call()).call()
    with pytest.raises(TransactionFailed) as raised:
        call(timelock.executeBatch(*operation), action="bypass", sender=outsider)
    assert (raised.value.error_name, raised.value.error_args) == ("Panic", (PANIC_EMPTY_QUEUE,))
    g = dao.governor.functions
    assert (int(g.votingDelay().call()), g.proposalGuardian().call()) == (
        dao.deployment.settings.voting_delay, dao.deployment.guardian)  # nothing applied
