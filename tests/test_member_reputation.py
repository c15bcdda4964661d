"""What a member's signed word weighs, read from the chain: reputation at a past moment,
the members at a snapshot, and the signing domain, on the embedded EVM and on anvil."""

from __future__ import annotations

from atelier.governance.accounts import dev_signer
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.member_messages import Review, sign, signer_of
from atelier.governance.members import chain_time, members_at, reputation_at, studio_domain
from atelier.governance.proposals import Action

from dao_helpers import pass_and_execute


def test_reputation_counts_at_the_moment_asked_and_new_members_join_from_their_mint(
        dao: StudioDAO, chain: DevChain) -> None:
    alice, dave = dev_signer("alice"), dev_signer("dave")
    chain.mine()
    before = chain_time(dao)
    chain.mine(before + 5)
    assert reputation_at(dao, alice.address, before) == 100
    assert reputation_at(dao, dave.address, before) == 0
    founders = members_at(dao, before)
    assert sorted(founders.values()) == [100, 100, 100] and dave.address not in founders

    calldata = bytes.fromhex(dao.token.encode_abi("mint", [dave.address, 40 * 10**18])[2:])
    proposal = dao.propose(alice, [Action(dao.deployment.token, 0, calldata, "mint")],
                           "Grant dave 40 reputation")
    pass_and_execute(dao, proposal)
    chain.mine()
    after = chain_time(dao)
    chain.mine(after + 5)
    assert reputation_at(dao, dave.address, before) == 0  # the past does not change
    assert reputation_at(dao, dave.address, after) == 40
    assert members_at(dao, after)[dave.address] == 40
    # The members read from the token's events agree with getPastVotes, then and now.
    for moment in (before, after):
        members = members_at(dao, moment)
        for account in (alice, dave, dev_signer("bob"), dev_signer("mallory")):
            assert members.get(account.address, 0) == reputation_at(dao, account.address,
                                                                    moment)
    # A moment the clock has not reached reads today's power instead of reverting.
    assert reputation_at(dao, dave.address, after + 10**6) == 40


def test_members_sign_in_this_chain_and_registry(dao: StudioDAO) -> None:
    domain = studio_domain(dao)
    assert (domain.chain_id, domain.registry) == (dao.chain.w3.eth.chain_id,
                                                  dao.deployment.registry)
    bob = dev_signer("bob")
    review = Review(reviewer=bob.address, run=b"\1" * 32, episode=1, scriptwriter=4,
                    designer=4, layout=4, comment="", signed_at=chain_time(dao))
    assert signer_of(review, sign(review, bob, domain), domain) == bob.address
