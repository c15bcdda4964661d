"""A DAO deployed on a test chain; the proposal lifecycle comes from
``atelier.governance.lifecycle`` (the driver the demo and the benchmarks use)."""

from __future__ import annotations

from atelier.governance.accounts import dev_signer, dev_signers
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.deploy import Counting, DaoSettings, deploy_dao
from atelier.governance.lifecycle import Ballot, close_voting, open_voting, pass_proposal
from atelier.governance.proposal_state import ProposalState
from atelier.governance.proposals import Proposal

__all__ = ["FOUNDERS", "TEST_SETTINGS", "close_voting", "deploy_test_dao", "open_voting",
           "pass_and_execute"]

TEST_SETTINGS = DaoSettings(
    voting_delay=10, voting_period=300, timelock_delay=60, quorum_percent=25, proposal_threshold=0
)
FOUNDERS = {"alice": 100, "bob": 100, "carol": 100}


def deploy_test_dao(chain: DevChain, settings: DaoSettings = TEST_SETTINGS, *,
                    counting: Counting | None = None) -> StudioDAO:
    """The founders' DAO on ``chain``; ``counting`` overrides ``settings.counting``."""
    if counting is not None:
        settings = settings.model_copy(update={"counting": counting})
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


def pass_and_execute(dao: StudioDAO, proposal: Proposal, voters=("alice", "bob")) -> None:
    """propose -> wait for snapshot -> vote -> wait for deadline -> queue -> execute."""
    states: list[ProposalState] = []
    ballots = [Ballot(dev_signer(name)) for name in voters]
    final = pass_proposal(dao, proposal, ballots, executor=dev_signer("alice"),
                          on_step=lambda *_: states.append(dao.status(proposal).state))
    assert final is ProposalState.Executed
    # voting opened, each vote, closed, queued, timelock passed, executed
    assert states[0] is ProposalState.Active
    assert states[len(voters) + 1] is ProposalState.Succeeded
    assert states[-3:] == [ProposalState.Queued] * 2 + [ProposalState.Executed]
