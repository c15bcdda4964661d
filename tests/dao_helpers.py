"""One helper drives the proposal lifecycle (as OpenZeppelin's own tests do)."""

from __future__ import annotations

from atelier.governance.accounts import dev_signer, dev_signers
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.deploy import DaoSettings, deploy_dao
from atelier.governance.proposals import Proposal
from atelier.governance.revert import ProposalState

TEST_SETTINGS = DaoSettings(
    voting_delay=10, voting_period=300, timelock_delay=60, quorum_percent=25, proposal_threshold=0
)
FOUNDERS = {"alice": 100, "bob": 100, "carol": 100}


def deploy_test_dao(chain: DevChain, settings: DaoSettings = TEST_SETTINGS) -> StudioDAO:
    signers = dev_signers()
    deployment = deploy_dao(
        chain,
        dev_signer("deployer"),
        studio_name="Test Studio",
        settings=settings,
        grants={signers[name].address: points for name, points in FOUNDERS.items()},
        guardian=signers["ethics"].address,
    )
    return StudioDAO(chain, deployment, names={s.address: n for n, s in signers.items()})


def open_voting(dao: StudioDAO, proposal: Proposal) -> None:
    chain = dao.chain
    assert isinstance(chain, DevChain)
    wait = proposal.vote_start + 1 - dao.now()
    if wait > 0:
        chain.advance_time(wait)
    assert dao.status(proposal).state is ProposalState.Active


def close_voting(dao: StudioDAO, proposal: Proposal) -> None:
    chain = dao.chain
    assert isinstance(chain, DevChain)
    wait = proposal.vote_end + 1 - dao.now()
    if wait > 0:
        chain.advance_time(wait)


def pass_and_execute(dao: StudioDAO, proposal: Proposal, voters=("alice", "bob")) -> None:
    """propose -> wait for snapshot -> vote -> wait for deadline -> queue -> execute."""
    open_voting(dao, proposal)
    for name in voters:
        dao.vote(dev_signer(name), proposal, "for")
    close_voting(dao, proposal)
    assert dao.status(proposal).state is ProposalState.Succeeded
    dao.queue(dev_signer("alice"), proposal)
    status = dao.status(proposal)
    assert status.state is ProposalState.Queued
    chain = dao.chain
    assert isinstance(chain, DevChain)
    chain.advance_time(status.eta - dao.now() + 1)
    dao.execute(dev_signer("alice"), proposal)
    assert dao.status(proposal).state is ProposalState.Executed
