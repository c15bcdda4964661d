"""Reputation on-chain: the rule in the registry (set only by the timelock, seeded from
config.toml), mint/burn only by the timelock, no transfers, and the governor's counting
(linear, or quadratic: a vote weighs the square root of the voter's reputation at the
snapshot), on the embedded EVM and on anvil.

Units: reputation is an 18-decimals token, so a whole point is 1e18 units. On a quadratic
DAO a vote weighs ``isqrt(units)``, so one point weighs ``isqrt(1e18) = 1e9`` and 100 points
weigh ``isqrt(100e18) = 10e9``: weights, tallies and quorums there are in units of
``QUADRATIC_UNIT`` (1e9) per sqrt(point).
"""

from __future__ import annotations

import json
from math import isqrt
from pathlib import Path

import pytest

from atelier.config import ReputationConfig, config_from_dict
from atelier.governance.accounts import dev_signer, dev_signers
from atelier.governance.artifacts import abi, bytecode
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.deploy import (
    REPUTATION_UNIT,
    Counting,
    DaoSettings,
    ReputationRuleSettings,
    deploy_dao,
)
from atelier.governance.goals import GoalSpec
from atelier.governance.lifecycle import close_voting, open_voting, wait_for_timelock
from atelier.governance.proposals import Action, Proposal
from atelier.governance.reputation_params import (
    QUADRATIC_UNIT,
    NoReputationRule,
    OnChainRule,
    counting,
    reputation_rule,
    reputation_rule_action,
    vote_unit,
)
from atelier.governance.tx import deploy as deploy_contract
from atelier.governance.tx import transact
from atelier.kernel.errors import ConfigError, TransactionFailed

from cli_helpers import atelier, write_config
from dao_helpers import TEST_SETTINGS, deploy_test_dao, pass_and_execute

GOAL = GoalSpec(title="The Lighthouse Keepers", brief="Two keepers, one storm.", episodes=2,
                audit_every=1, token_budget=50_000)
NEW_RULE = OnChainRule(per_prompt_rewrite=30, per_review=3, per_curation_vote=2,
                       per_audit_proposal=6, cap_per_audit=40, decay_bps=250, decay_floor=5)


def _rule_from_config(config: ReputationConfig) -> OnChainRule:
    return OnChainRule(config.per_prompt_rewrite, config.per_review, config.per_curation_vote,
                       config.per_audit_proposal, config.cap_per_audit, config.decay_bps,
                       config.decay_floor)


def _dao_with(chain: DevChain, grants: dict[str, int], *, counting: Counting = "linear",
              rule: ReputationRuleSettings | None = None) -> StudioDAO:
    """A DAO whose members (dev account names) hold ``grants`` points."""
    settings = TEST_SETTINGS.model_copy(update={"counting": counting})
    if rule is not None:
        settings = settings.model_copy(update={"reputation": rule})
    signers = dev_signers()
    deployment = deploy_dao(
        chain, dev_signer("deployer"), studio_name="Whales", settings=settings,
        grants={signers[name].address: points for name, points in grants.items()},
        guardian=signers["ethics"].address,
    )
    return StudioDAO(chain, deployment, names={s.address: n for n, s in signers.items()})


def _token_action(dao: StudioDAO, function: str, *args: object) -> Action:
    calldata = bytes.fromhex(dao.token.encode_abi(function, list(args))[2:])
    return Action(dao.deployment.token, 0, calldata, dao.describe_call(dao.deployment.token,
                                                                       calldata))


def _vote_weights(dao: StudioDAO, proposal: Proposal) -> dict[str, int]:
    return {dao.name_of(v.voter): v.weight for v in dao.votes(proposal)}


# ------------------------------------------------------------------ the reputation rule


def test_the_initial_rule_is_the_configs(dao: StudioDAO) -> None:
    defaults = ReputationConfig()
    assert defaults.decay_bps == 1000  # decay_percent = 10
    assert reputation_rule(dao) == _rule_from_config(defaults)
    assert reputation_rule(dao) == OnChainRule.from_settings(dao.deployment.settings.reputation)
    assert reputation_rule(dao).decay_percent == 10
    event = dao.registry.events.ReputationRuleChanged()
    [log] = dao.chain.get_logs(address=dao.deployment.registry, topics=[event.topic],
                               from_block=dao.deployment.block)
    assert OnChainRule.from_struct(event.process_log(log)["args"]["rule"]) == reputation_rule(dao)


def test_a_registry_without_a_rule_is_named(dao: StudioDAO) -> None:
    """A registry deployed before the rule lived on-chain (here: a contract without
    ``reputationRule``, the timelock) gives a clear error, not a decoding failure."""
    old = StudioDAO(dao.chain, dao.deployment.model_copy(update={
        "registry": dao.deployment.timelock}))
    with pytest.raises(NoReputationRule, match="deployed before the rule lived on-chain"):
        reputation_rule(old)


def test_a_configured_rule_is_deployed(chain: DevChain) -> None:
    config = config_from_dict({"reputation": {
        "per_prompt_rewrite": 7, "per_review": 0, "per_curation_vote": 3,
        "per_audit_proposal": 1, "cap_per_audit": 9, "decay_percent": 2.5, "decay_floor": 0}})
    rule = _rule_from_config(config.reputation)
    assert rule.decay_bps == 250
    dao = _dao_with(chain, {"alice": 10}, rule=ReputationRuleSettings(
        **{k: getattr(rule, k) for k in ReputationRuleSettings.model_fields}))
    assert reputation_rule(dao) == rule


def test_only_the_timelock_sets_the_rule(dao: StudioDAO) -> None:
    for name in ("alice", "mallory"):  # a member, an outsider
        with pytest.raises(TransactionFailed) as raised:
            transact(dao.chain, dev_signer(name),
                     dao.registry.functions.setReputationRule(NEW_RULE.as_struct()),
                     action="set the rule", explain=dao.explain)
        assert raised.value.error_name == "OwnableUnauthorizedAccount"
        assert f"{name} may not do this: only the DAO's timelock" in raised.value.message
    assert reputation_rule(dao) == _rule_from_config(ReputationConfig())
    proposal = dao.propose(dev_signer("alice"), [reputation_rule_action(dao, NEW_RULE)],
                           "# A gentler decay")
    assert proposal.actions[0].summary.startswith("StudioRegistry.setReputationRule(")
    pass_and_execute(dao, proposal)
    assert reputation_rule(dao) == NEW_RULE
    event = dao.registry.events.ReputationRuleChanged()
    logs = dao.chain.get_logs(address=dao.deployment.registry, topics=[event.topic],
                              from_block=proposal.block)
    assert [OnChainRule.from_struct(event.process_log(log)["args"]["rule"]) for log in logs] == [
        NEW_RULE]


def test_a_rule_decaying_more_than_everything_is_refused_on_execution(dao: StudioDAO) -> None:
    bad = OnChainRule(**{**NEW_RULE.__dict__, "decay_bps": 10_001})
    proposal = dao.propose(dev_signer("alice"), [reputation_rule_action(dao, bad)],
                           "# Burn it all and then some")
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "for")
    dao.vote(dev_signer("bob"), proposal, "for")
    close_voting(dao, proposal)
    dao.queue(dev_signer("alice"), proposal)
    wait_for_timelock(dao, proposal)
    with pytest.raises(TransactionFailed) as raised:
        dao.execute(dev_signer("alice"), proposal)
    assert raised.value.error_name == "InvalidReputationRule"
    assert "cannot decay more than 100%" in raised.value.message
    assert "10001 basis points" in raised.value.message
    assert reputation_rule(dao) == _rule_from_config(ReputationConfig())


def test_a_registry_checks_every_rule_it_is_given(chain: DevChain) -> None:
    """A registry owned by a plain account (alice), to reach setReputationRule directly."""
    alice, bob = dev_signer("alice"), dev_signer("bob")
    factory = chain.w3.eth.contract(abi=abi("StudioRegistry"), bytecode=bytecode("StudioRegistry"))
    with pytest.raises(TransactionFailed) as raised:
        deploy_contract(chain, alice, factory, alice.address, [], [],
                        (1, 1, 1, 1, 1, 10_001, 1), action="deploying a registry")
    assert raised.value.error_name == "InvalidReputationRule"
    receipt = deploy_contract(chain, alice, factory, alice.address, [], [], NEW_RULE.as_struct(),
                              action="deploying a registry")
    registry = chain.w3.eth.contract(address=receipt["contractAddress"],
                                     abi=abi("StudioRegistry"))
    assert OnChainRule.from_struct(registry.functions.reputationRule().call()) == NEW_RULE
    with pytest.raises(TransactionFailed) as raised:
        transact(chain, alice, registry.functions.setReputationRule((1, 1, 1, 1, 1, 10_001, 1)),
                 action="set the rule")
    assert raised.value.error_name == "InvalidReputationRule"
    assert raised.value.error_args == (10_001,)
    with pytest.raises(TransactionFailed) as raised:
        transact(chain, bob, registry.functions.setReputationRule(NEW_RULE.as_struct()),
                 action="set the rule")
    assert raised.value.error_name == "OwnableUnauthorizedAccount"
    everything = (0, 0, 0, 0, 0, 10_000, 0)  # 100% is the most, and zero amounts are fine
    transact(chain, alice, registry.functions.setReputationRule(everything),
             action="set the rule")
    assert registry.functions.reputationRule().call() == everything
    assert registry.functions.MAX_DECAY_BPS().call() == 10_000


def test_the_rule_settings_refuse_what_the_registry_would() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="decay_bps"):
        ReputationRuleSettings(decay_bps=10_001)
    with pytest.raises(ValidationError, match="per_review"):
        ReputationRuleSettings(per_review=2**64)
    assert OnChainRule.from_settings(ReputationRuleSettings()) == _rule_from_config(
        ReputationConfig())  # the deployment defaults are config.toml's


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"decay_percent": 150}, "[reputation] decay_percent = 150: Input should be less than"),
        ({"decay_percent": 2.555}, "[reputation] decay_percent = 2.555: decay_percent is kept "
                                   "in basis points"),
        ({"per_review": -1}, "[reputation] per_review = -1: Input should be greater than"),
        ({"cap_per_audit": "lots"}, "[reputation] cap_per_audit = 'lots': Input should be a "
                                    "valid integer"),
        ({"decay": 5}, "unknown key [reputation] decay; did you mean 'decay_floor'?"),
    ],
)
def test_reputation_config_mistakes_name_the_key(body: dict, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"reputation": body})
    assert expected in str(raised.value)


def test_counting_config_names_the_key() -> None:
    assert config_from_dict({"governance": {"counting": "quadratic"}}).governance.counting == (
        "quadratic")
    with pytest.raises(ConfigError, match=r"\[governance\] counting = 'cubic': Input should be "
                                          "'linear' or 'quadratic'"):
        config_from_dict({"governance": {"counting": "cubic"}})


# ------------------------------------------------------------------------ the token


def test_only_the_timelock_mints_and_burns(dao: StudioDAO) -> None:
    alice, mallory = dev_signer("alice"), dev_signer("mallory")
    for signer in (alice, mallory):
        for fn in (dao.token.functions.mint(signer.address, REPUTATION_UNIT),
                   dao.token.functions.burn(alice.address, REPUTATION_UNIT)):
            with pytest.raises(TransactionFailed) as raised:
                transact(dao.chain, signer, fn, action="mint or burn", explain=dao.explain)
            assert raised.value.error_name == "OwnableUnauthorizedAccount"
    assert dao.reputation(alice.address) == 100
    proposal = dao.propose(alice, [
        _token_action(dao, "mint", dev_signer("dave").address, 30 * REPUTATION_UNIT),
        _token_action(dao, "burn", alice.address, 40 * REPUTATION_UNIT),
    ], "# Reputation for dave, decay for alice")
    pass_and_execute(dao, proposal)
    assert dao.reputation(dev_signer("dave").address) == 30  # self-delegated by the mint
    assert dao.reputation(alice.address) == 60


def test_reputation_still_cannot_move(dao: StudioDAO) -> None:
    alice, bob = dev_signer("alice"), dev_signer("bob")
    for signer, fn in ((alice, dao.token.functions.transfer(bob.address, REPUTATION_UNIT)),
                       (bob, dao.token.functions.transferFrom(alice.address, bob.address,
                                                              REPUTATION_UNIT))):
        with pytest.raises(TransactionFailed) as raised:
            transact(dao.chain, signer, fn, action="transfer", explain=dao.explain)
        assert raised.value.error_name == "ReputationNonTransferable"
    assert (dao.reputation(alice.address), dao.reputation(bob.address)) == (100, 100)


def test_voting_power_cannot_be_delegated_to_another_account(dao: StudioDAO) -> None:
    """Delegation would hand a member's whole voting power to anyone (a non-member too):
    reputation would be transferable in effect. Only self-delegation is allowed."""
    alice, mallory = dev_signer("alice"), dev_signer("mallory")
    with pytest.raises(TransactionFailed) as raised:
        transact(dao.chain, alice, dao.token.functions.delegate(mallory.address),
                 action="delegate", explain=dao.explain)
    assert raised.value.error_name == "ReputationDelegationRestricted"
    assert "alice cannot delegate to mallory" in raised.value.message
    assert (dao.reputation(alice.address), dao.reputation(mallory.address)) == (100, 0)
    transact(dao.chain, alice, dao.token.functions.delegate(alice.address),
             action="delegate", explain=dao.explain)  # to itself: allowed, nothing moves
    assert dao.reputation(alice.address) == 100


# ----------------------------------------------------------------------- counting


def test_a_linear_dao_counts_reputation(dao: StudioDAO) -> None:
    assert dao.deployment.counting == "linear"
    assert counting(dao) == "linear"
    assert vote_unit("linear") == REPUTATION_UNIT
    assert dao.governor.functions.COUNTING_MODE().call() == "support=bravo&quorum=for,abstain"
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    dao.vote(dev_signer("alice"), proposal, "for")
    status = dao.status(proposal)
    assert status.tally.for_ == 100 * REPUTATION_UNIT
    assert status.quorum == 300 * REPUTATION_UNIT * 25 // 100
    assert _vote_weights(dao, proposal) == {"alice": 100 * REPUTATION_UNIT}


def test_quadratic_votes_weigh_the_square_root_of_reputation(chain: DevChain) -> None:
    """100 reputation (100e18 units) weighs isqrt(100e18) = 10e9 = 10 * QUADRATIC_UNIT."""
    dao = deploy_test_dao(chain, counting="quadratic")  # alice, bob, carol: 100 each
    assert dao.deployment.counting == "quadratic"
    assert counting(dao) == "quadratic"
    g = dao.governor.functions
    assert g.quadratic().call() is True
    assert g.COUNTING_MODE().call() == "support=bravo&quorum=for,abstain"  # still standard
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    open_voting(dao, proposal)
    # getVotes (and the proposal threshold) stay in plain reputation; only counting changes.
    assert g.getVotes(dev_signer("alice").address, proposal.vote_start).call() == (
        100 * REPUTATION_UNIT)
    dao.vote(dev_signer("alice"), proposal, "for")
    status = dao.status(proposal)
    assert isqrt(100 * REPUTATION_UNIT) == 10 * QUADRATIC_UNIT == 10 * 10**9
    assert status.tally.for_ == 10 * QUADRATIC_UNIT
    assert _vote_weights(dao, proposal) == {"alice": 10 * QUADRATIC_UNIT}
    # The quorum is 25% of sqrt(total supply at the snapshot): 25% of isqrt(300e18).
    assert status.quorum == isqrt(300 * REPUTATION_UNIT) * 25 // 100 == 4_330_127_018
    assert status.quorum_reached
    dao.vote(dev_signer("bob"), proposal, "against", reason="too dark")
    dao.vote_by_signature(dev_signer("carol"), dev_signer("deployer"), proposal, "abstain")
    tally = dao.status(proposal).tally
    assert (tally.for_, tally.against, tally.abstain) == (10 * QUADRATIC_UNIT,) * 3
    assert vote_unit("quadratic") == QUADRATIC_UNIT


def test_a_quadratic_dao_passes_proposals_with_square_root_weights(chain: DevChain) -> None:
    dao = deploy_test_dao(chain, counting="quadratic")
    proposal = dao.propose_goal(dev_signer("alice"), GOAL)
    pass_and_execute(dao, proposal, voters=("alice",))  # 10e9 of a 4.33e9 quorum
    assert [g.spec for g in dao.goals()] == [GOAL]
    assert dao.status(proposal).tally.for_ == 10 * QUADRATIC_UNIT


def test_quadratic_counting_resists_a_whale(chain: DevChain) -> None:
    """400 points against three members of 100: linear, the whale wins 400 to 300;
    quadratic, 20 to 30 (in QUADRATIC_UNIT), the members do."""
    grants = {"alice": 100, "bob": 100, "carol": 100, "dave": 400}
    outcomes = {}
    modes: tuple[Counting, ...] = ("linear", "quadratic")
    for mode in modes:
        dao = _dao_with(chain, grants, counting=mode)
        proposal = dao.propose_goal(dev_signer("alice"), GOAL)
        open_voting(dao, proposal)
        for name in ("alice", "bob", "carol"):
            dao.vote(dev_signer(name), proposal, "for")
        dao.vote(dev_signer("dave"), proposal, "against")
        close_voting(dao, proposal)
        status = dao.status(proposal)
        unit = vote_unit(mode)
        outcomes[mode] = (status.tally.for_ / unit, status.tally.against / unit,
                          status.state.name)
    assert outcomes["linear"] == (300, 400, "Defeated")
    assert outcomes["quadratic"] == (30, 20, "Succeeded")


def test_quadratic_weights_are_read_at_the_snapshot(chain: DevChain) -> None:
    """Reputation minted after a proposal's snapshot does not count on it, and the weight is
    the rounded-down root: 2 points weigh isqrt(2e18) = 1_414_213_562."""
    dao = _dao_with(chain, {"alice": 100, "bob": 100, "carol": 2}, counting="quadratic")
    alice = dev_signer("alice")
    mint = dao.propose(alice, [_token_action(dao, "mint", alice.address, 300 * REPUTATION_UNIT)],
                       "# More reputation for alice")
    open_voting(dao, mint)
    dao.vote(alice, mint, "for")
    dao.vote(dev_signer("carol"), mint, "for")
    assert _vote_weights(dao, mint) == {"alice": 10 * QUADRATIC_UNIT, "carol": 1_414_213_562}
    close_voting(dao, mint)
    dao.queue(alice, mint)
    before = dao.propose_goal(alice, GOAL)  # its snapshot comes before the mint
    wait_for_timelock(dao, mint)
    dao.execute(alice, mint)
    assert dao.reputation(alice.address) == 400
    after = dao.propose_goal(alice, GoalSpec(title="Second", brief="After the mint.",
                                             episodes=1))
    open_voting(dao, after)
    dao.vote(alice, before, "for")
    dao.vote(alice, after, "for")
    assert _vote_weights(dao, before) == {"alice": 10 * QUADRATIC_UNIT}  # sqrt(100)
    assert _vote_weights(dao, after) == {"alice": 20 * QUADRATIC_UNIT}  # sqrt(400)
    assert dao.status(after).quorum == isqrt(502 * REPUTATION_UNIT) * 25 // 100


def test_reference_governors_refuse_quadratic_counting(chain: DevChain) -> None:
    settings = DaoSettings(**{**TEST_SETTINGS.model_dump(), "counting": "quadratic"})
    with pytest.raises(ValueError, match="ReferenceGovernor only counts votes linearly"):
        deploy_dao(chain, dev_signer("deployer"), studio_name="Ref", settings=settings,
                   grants={dev_signer("alice").address: 1}, guardian=dev_signer("ethics").address,
                   token_contract="ReferenceToken", governor_contract="ReferenceGovernor")


# ----------------------------------------------------------------------- the CLI


def test_init_deploys_the_configured_counting_and_rule(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[governance]\ncounting = "quadratic"\n'
                                    "[reputation]\nper_review = 4\ndecay_percent = 5\n")
    assert atelier(config, "init").code == 0
    status = json.loads(atelier(config, "dao", "status", "--json").out)
    assert status["settings"]["counting"] == "quadratic"
    assert status["reputation_rule"] == {
        "per_prompt_rewrite": 20, "per_review": 4, "per_curation_vote": 1,
        "per_audit_proposal": 5, "cap_per_audit": 25, "decay_bps": 500, "decay_floor": 10}
    deployment = json.loads((tmp_path / ".atelier" / "deployment.json").read_text())
    assert deployment["settings"]["counting"] == "quadratic"
    shown = atelier(config, "dao", "status").out
    assert "quadratic (a vote weighs the square root" in shown
    assert "5% per audit, never below 10" in shown
    assert "25% of √(all reputation)" in shown


def test_the_cli_shows_a_quadratic_tally_in_whole_votes(tmp_path: Path) -> None:
    from cli_helpers import FAST_GOVERNANCE

    config = write_config(tmp_path, FAST_GOVERNANCE + 'counting = "quadratic"\n')  # + prompts
    assert atelier(config, "init").code == 0
    assert atelier(config, "goal", "propose", "--title", "T", "--brief", "B", "--episodes", "1",
                   "--audit-every", "1").code == 0
    assert atelier(config, "chain", "advance", "11s").code == 0
    voted = atelier(config, "vote", "1", "for", "--as", "bob")
    assert voted.code == 0, voted.err
    assert "with 100 reputation" in voted.out  # getVotes stays in points
    assert "tally: for 10, against 0, abstain 0" in voted.out  # sqrt(100) votes
    shown = atelier(config, "proposals", "show", "1").out
    assert "bob voted for with 10" in shown
