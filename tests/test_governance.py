"""The DAO lifecycle and every revert a user can hit, on the embedded EVM and on anvil."""

from __future__ import annotations

import pytest

from atelier.governance.accounts import dev_signer
from atelier.governance.dao import StudioDAO
from atelier.governance.deploy import REPUTATION_UNIT, DaoSettings
from atelier.governance.goals import GoalSpec
from atelier.governance.proposal_state import ProposalState
from atelier.governance.refusals import Refusal, Refused
from atelier.governance.tx import call, transact
from atelier.kernel.errors import TransactionFailed

from dao_helpers import TEST_SETTINGS, close_voting, deploy_test_dao, open_voting, pass_and_execute

GOAL = GoalSpec(title="The Lighthouse Keepers", brief="Two keepers, one storm.", episodes=2,
                audit_every=1, token_budget=50_000)


def test_deployment_hands_power_to_the_dao(dao: StudioDAO) -> None:
    settings = dao.settings()
    assert settings["voting_delay"] == TEST_SETTINGS.voting_delay
    assert settings["voting_period"] == TEST_SETTINGS.voting_period
    assert settings["timelock_delay"] == TEST_SETTINGS.timelock_delay
    assert settings["quorum_percent"] == TEST_SETTINGS.quorum_percent
    assert settings["clock_mode"] == "mode=timestamp"
    assert settings["guardian"] == dev_signer("ethics").address
    assert dao.reputation(dev_signer("alice").address) == 100  # self-delegated at mint
    assert dao.reputation(dev_signer("mallory").address) == 0
    timelock = dao.timelock.functions
    admin = timelock.DEFAULT_ADMIN_ROLE().call()
    assert not timelock.hasRole(admin, dao.deployment.deployer).call()
    assert timelock.hasRole(timelock.PROPOSER_ROLE().call(), dao.deployment.governor).call()
    assert dao.token.functions.owner().call() == dao.deployment.timelock
    assert dao.registry.functions.owner().call() == dao.deployment.timelock


def test_goal_lifecycle_end_to_end(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    assert proposal.number == 1
    assert dao.status(proposal).state is ProposalState.Pending
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "for")
    dao.vote(dev_signer("bob"), proposal, "against", reason="too dark")
    dao.vote_by_signature(dev_signer("carol"), dev_signer("deployer"), proposal, "for")
    tally = dao.status(proposal).tally
    assert (tally.for_, tally.against, tally.abstain) == (
        200 * REPUTATION_UNIT, 100 * REPUTATION_UNIT, 0)
    ballots = [(dao.name_of(v.voter), v.support, v.weight // REPUTATION_UNIT, v.reason)
               for v in dao.votes(proposal)]
    assert ballots == [("alice", "for", 100, ""), ("bob", "against", 100, "too dark"),
                       ("carol", "for", 100, "")]
    close_voting(dao, proposal)
    assert dao.status(proposal).state is ProposalState.Succeeded
    dao.queue(dev_signer("bob"), proposal)
    assert dao.queue(dev_signer("bob"), proposal) is None  # idempotent
    dao.chain.advance_time(TEST_SETTINGS.timelock_delay + 1)  # type: ignore[attr-defined]
    dao.execute(dev_signer("carol"), proposal)
    assert dao.execute(dev_signer("carol"), proposal) is None  # idempotent
    [goal] = dao.goals()
    assert goal.content_hash == GOAL.content_hash
    assert (goal.episodes, goal.audit_every, goal.token_budget, goal.active) == (2, 1, 50_000, True)
    assert goal.spec == GOAL  # the text is recovered from the proposal and matches the hash


def test_signed_vote_with_reason_is_counted_for_the_signer(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote_by_signature(dev_signer("bob"), dev_signer("mallory"), proposal, "abstain",
                          reason="conflict of interest")
    assert dao.governor.functions.hasVoted(proposal.id, dev_signer("bob").address).call()
    assert not dao.governor.functions.hasVoted(proposal.id, dev_signer("mallory").address).call()
    assert dao.status(proposal).tally.abstain == 100 * REPUTATION_UNIT


def test_proposing_the_same_thing_twice_returns_the_existing_proposal(dao: StudioDAO) -> None:
    first = dao.propose_goal(dev_signer("alice"), GOAL)
    again = dao.propose_goal(dev_signer("alice"), GOAL)
    assert again.id == first.id
    assert len(dao.proposals()) == 1
    assert dao.proposal("1").id == first.id
    assert dao.proposal(hex(first.id)[:10]).id == first.id


def test_non_member_cannot_vote(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    with pytest.raises(Refused, match="mallory had no voting power when proposal 1") as refused:
        dao.vote(dev_signer("mallory"), proposal, "for")
    assert refused.value.reason is Refusal.NoVotingPower
    # Even bypassing the client, the governor counts a zero-weight vote as nothing.
    transact(dao.chain, dev_signer("mallory"), dao.governor.functions.castVote(proposal.id, 1),
             action="raw vote")
    assert dao.status(proposal).tally.for_ == 0


def test_double_vote_is_refused(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote(dev_signer("bob"), proposal, "for")
    with pytest.raises(Refused, match="bob already voted on proposal 1") as refused:
        dao.vote(dev_signer("bob"), proposal, "against")
    assert refused.value.reason is Refusal.AlreadyVoted
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, dev_signer("bob"), dao.governor.functions.castVote(proposal.id, 0),
                 action="raw vote", explain=dao.explain)
    assert raised.value.error_name == "GovernorAlreadyCastVote"
    assert "bob already voted" in raised.value.message


def test_vote_before_opening_and_after_deadline(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    with pytest.raises(Refused, match="voting on proposal 1 opens in") as refused:
        dao.vote(dev_signer("bob"), proposal, "for")
    assert refused.value.reason is Refusal.VotingNotOpen
    open_voting(dao, proposal)
    close_voting(dao, proposal)
    with pytest.raises(Refused, match=r"closed .* ago; it is Defeated") as refused:
        dao.vote(dev_signer("bob"), proposal, "for")
    assert refused.value.reason is Refusal.VotingClosed
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, dev_signer("bob"), dao.governor.functions.castVote(proposal.id, 1),
                 action="raw vote", explain=dao.explain)
    assert raised.value.error_name == "GovernorUnexpectedProposalState"
    assert "proposal 1 is Defeated; this needs it Active" in raised.value.message


def test_defeated_proposal_cannot_be_queued(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "against")
    dao.vote(dev_signer("bob"), proposal, "against")
    dao.vote(dev_signer("carol"), proposal, "for")
    close_voting(dao, proposal)
    with pytest.raises(Refused, match=r"it is Defeated \(more against\)") as refused:
        dao.queue(dev_signer("alice"), proposal)
    assert refused.value.reason is Refusal.NotSucceeded


def test_execute_before_timelock_delay(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "for")
    close_voting(dao, proposal)
    dao.queue(dev_signer("alice"), proposal)
    with pytest.raises(Refused, match="the timelock delay ends in") as refused:
        dao.execute(dev_signer("alice"), proposal)
    assert refused.value.reason is Refusal.TimelockDelay
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, dev_signer("alice"),
                 dao.governor.functions.execute(*proposal.call_args()), action="raw execute",
                 explain=dao.explain)
    assert raised.value.error_name == "TimelockUnexpectedOperationState"
    assert dao.goals() == []


def test_registry_and_token_obey_only_the_timelock(dao: StudioDAO) -> None:
    alice = dev_signer("alice")
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, alice,
                 dao.registry.functions.createGoal(GOAL.content_hash, 2, 1, 10),
                 action="registry write", explain=dao.explain)
    assert raised.value.error_name == "OwnableUnauthorizedAccount"
    assert "alice may not do this: only the DAO's timelock" in raised.value.message
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, alice, dao.registry.functions.setPromptHash("scriptwriter", b"\1" * 32),
                 action="registry write", explain=dao.explain)
    assert raised.value.error_name == "OwnableUnauthorizedAccount"
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, alice, dao.token.functions.mint(alice.address, 10**18),
                 action="mint", explain=dao.explain)
    assert raised.value.error_name == "OwnableUnauthorizedAccount"


def test_a_call_can_be_simulated_from_a_contract_without_ether(dao: StudioDAO) -> None:
    """``eth_call`` from the timelock (no key, no ether): what the timelock would get, as on
    geth and anvil. The embedded chain priced calls at 1 gwei and refused such a sender."""
    registry = dao.registry.functions
    assert dao.chain.w3.eth.get_balance(dao.deployment.timelock) == 0
    create = registry.createGoal(GOAL.content_hash, 2, 1, 10)
    assert call(create, action="goal", sender=dao.deployment.timelock) == 1
    with pytest.raises(TransactionFailed) as raised:
        call(create, action="goal", sender=dao.deployment.governor)
    assert raised.value.error_name == "OwnableUnauthorizedAccount"
    assert raised.value.error_args == (dao.deployment.governor,)
    assert int(registry.goalCount().call()) == 0  # simulated only


def test_reputation_cannot_be_transferred_or_approved(dao: StudioDAO) -> None:
    alice, bob = dev_signer("alice"), dev_signer("bob")
    for fn in (dao.token.functions.transfer(bob.address, 10**18),
               dao.token.functions.approve(bob.address, 10**18)):
        with pytest.raises(TransactionFailed) as raised:
            transact(dao.chain, alice, fn, action="transfer", explain=dao.explain)
        assert raised.value.error_name == "ReputationNonTransferable"
        assert "earned, not bought" in raised.value.message
    assert dao.reputation(alice.address) == 100


def test_ethics_committee_cancels_an_active_proposal(dao: StudioDAO) -> None:
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "for")
    with pytest.raises(TransactionFailed) as raised:
        dao.cancel(dev_signer("bob"), proposal)
    assert raised.value.error_name == "GovernorUnableToCancel"
    assert "bob cannot cancel proposal 1" in raised.value.message
    dao.cancel(dev_signer("ethics"), proposal)
    assert dao.status(proposal).state is ProposalState.Canceled
    with pytest.raises(Refused, match="cannot be queued: it is Canceled"):
        dao.queue(dev_signer("alice"), proposal)


def test_proposer_may_cancel_only_before_voting_opens(dao: StudioDAO) -> None:
    pending = dao.propose_goal(dev_signer("alice"), GOAL)
    dao.cancel(dev_signer("alice"), pending)
    assert dao.status(pending).state is ProposalState.Canceled


def test_prompt_hash_update_through_governance(dao: StudioDAO) -> None:
    new_hash = b"\x42" * 32
    proposal = dao.propose_prompts(dev_signer("bob"), {"scriptwriter": new_hash},
                                   "# Prompt: scriptwriter v1")
    assert proposal.actions[0].summary.startswith("StudioRegistry.setPromptHash(")
    pass_and_execute(dao, proposal)
    assert dao.approved_prompt("scriptwriter") == (new_hash, 1)
    assert dao.approved_prompt("designer") == (b"\0" * 32, 0)
    second = dao.propose_prompts(dev_signer("bob"), {"scriptwriter": b"\x43" * 32},
                                 "# Prompt: scriptwriter v2")
    pass_and_execute(dao, second)
    assert dao.approved_prompt("scriptwriter") == (b"\x43" * 32, 2)


def test_any_registry_call_can_be_proposed(dao: StudioDAO) -> None:
    first = dao.propose_goal(dev_signer("alice"), GOAL)
    pass_and_execute(dao, first)
    pause = dao.propose(dev_signer("carol"), [dao.registry_action("setGoalActive", 1, False)],
                        "# Pause goal 1")
    assert pause.actions[0].summary == "StudioRegistry.setGoalActive(goalId=1, active=False)"
    pass_and_execute(dao, pause)
    assert [g.active for g in dao.goals()] == [False]


def test_proposal_threshold_is_enforced(chain) -> None:
    strict = DaoSettings(**{**TEST_SETTINGS.model_dump(), "proposal_threshold": 150})
    dao = deploy_test_dao(chain, strict)
    chain.advance_time(2)  # the threshold reads reputation as of the previous second
    with pytest.raises(TransactionFailed) as raised:
        dao.propose_goal(dev_signer("alice"), GOAL)
    assert raised.value.error_name == "GovernorInsufficientProposerVotes"
    assert "alice has 100 reputation; opening a proposal needs 150" in raised.value.message


def test_founding_prompts_are_approved_at_deployment(chain) -> None:
    from atelier.governance.accounts import dev_signers
    from atelier.governance.deploy import deploy_dao

    founding = {"scriptwriter": b"\x01" * 32, "layout": b"\x02" * 32}
    deployment = deploy_dao(
        chain, dev_signer("deployer"), studio_name="S", settings=TEST_SETTINGS,
        grants={dev_signers()["alice"].address: 10}, guardian=dev_signer("ethics").address,
        founding_prompts=founding,
    )
    dao = StudioDAO(chain, deployment)
    assert dao.approved_prompt("scriptwriter") == (b"\x01" * 32, 1)
    assert dao.approved_prompt("layout") == (b"\x02" * 32, 1)
    assert dao.approved_prompt("designer") == (b"\0" * 32, 0)


def test_gas_limits_cover_what_the_transactions_burn(dao: StudioDAO) -> None:
    """A long description (a proposal carrying prompt texts) costs more under Prague's
    calldata floor than its execution burns: the gas limit sent must cover it, and the
    nested calls of an execution (governor -> timelock -> registry) must fit too."""
    spec = GoalSpec(title="A long one", brief="Keepers and storms. " * 190, episodes=1)
    proposal = dao.propose_goal(dev_signer("alice"), spec)
    w3 = dao.chain.w3
    sent = w3.eth.get_transaction(proposal.tx_hash)
    burnt = w3.eth.get_transaction_receipt(proposal.tx_hash)
    assert burnt["status"] == 1 and burnt["gasUsed"] <= sent["gas"]
    pass_and_execute(dao, proposal)  # execute's nested calls had gas enough
    assert [g.spec for g in dao.goals()] == [spec]
