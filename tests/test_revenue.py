"""Revenue splits by contribution: income reaches the treasury, a split proposal pays the
period out through OpenZeppelin 4.9's PaymentSplitter, every payee claims, and nothing but
rounding (at most a wei per payee) is left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from revenue_helpers import Entry, ledger

from atelier.governance.accounts import dev_signer
from atelier.governance.artifacts import abi, bytecode
from atelier.governance.chain.base import DevChain
from atelier.governance.dao import StudioDAO
from atelier.governance.messages import Explainer
from atelier.governance.revenue import (
    RevenueRefused,
    check_splittable,
    claim,
    describe,
    dues,
    plan_split,
    revenue_rule,
    rule_action,
    split_actions,
)
from atelier.governance.tx import deploy as deploy_contract
from atelier.governance.tx import send_value, transact
from atelier.kernel.errors import TransactionFailed

from cli_helpers import assert_refused, atelier
from dao_helpers import pass_and_execute
from workflow_helpers import governed_studio, pass_proposal, studio_at

#: An odd amount, so 17 shares do not divide it: rounding happens.
INCOME = 10**18 + 7


def test_income_is_split_by_contribution_and_every_payee_claims_it_all(dao: StudioDAO) -> None:
    w3 = dao.chain.w3
    with pytest.raises(RevenueRefused, match="no income"):  # an empty treasury
        check_splittable(dao, plan_split(dao, ledger()))
    send_value(dao.chain, dev_signer("dave"), dao.deployment.timelock, INCOME, action="income")

    plan = plan_split(dao, ledger())
    check_splittable(dao, plan)
    # Default rule: review 2, prompt_rewrite 10, curation_vote 1 -> 4 + 10 + 3 shares.
    shares = {dao.name_of(p.account): (p.shares, p.counts) for p in plan.payees}
    assert shares == {"alice": (4, {"review": 2}), "bob": (10, {"prompt_rewrite": 1}),
                      "carol": (3, {"curation_vote": 3})}
    assert (plan.income, plan.period_end) == (INCOME, 6)
    actions, splitter = split_actions(dao, plan)
    description = describe(dao, plan, splitter)
    assert "| bob (" in description and "1 x prompt_rewrite | 10 |" in description
    proposal = dao.propose(dev_signer("alice"), actions, description)
    pass_and_execute(dao, proposal)

    contract = w3.eth.contract(address=dao.deployment.revenue, abi=abi("RevenueSplits"))
    assert contract.functions.splits().call() == [splitter]  # CREATE2: as predicted
    assert w3.eth.get_balance(splitter) == INCOME
    assert w3.eth.get_balance(dao.deployment.timelock) == 0

    paid = {}
    for payee in plan.payees:
        name = dao.name_of(payee.account)
        before = w3.eth.get_balance(payee.account)
        [(due, receipt)] = claim(dao, dev_signer(name))
        fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
        paid[name] = w3.eth.get_balance(payee.account) - before + fee
        assert paid[name] == due.releasable == plan.owed(payee) == INCOME * payee.shares // 17
        with pytest.raises(RevenueRefused, match="nothing to claim"):
            claim(dao, dev_signer(name))
    left = w3.eth.get_balance(splitter)
    assert sum(paid.values()) + left == INCOME
    assert 0 <= left <= len(plan.payees)  # rounding only, at most a wei per payee
    assert all(d.releasable == 0 for n in paid for d in dues(dao, dev_signer(n).address))

    with pytest.raises(RevenueRefused, match="dave is not a payee"):
        claim(dao, dev_signer("dave"))
    # The next period starts after entry 6: income alone is not enough to split.
    send_value(dao.chain, dev_signer("dave"), dao.deployment.timelock, 5, action="income")
    with pytest.raises(RevenueRefused, match="no contribution earns a share"):
        check_splittable(dao, plan_split(dao, ledger()))
    later = plan_split(dao, [*ledger(), Entry(7, dev_signer("dave").address, "review")])
    assert [(dao.name_of(p.account), p.shares) for p in later.payees] == [("dave", 2)]


def test_revenue_show_propose_claim_from_the_command_line(tmp_path: Path) -> None:
    from atelier.store.models import Contribution

    config = governed_studio(tmp_path, episodes=1)
    studio = studio_at(config)
    assert_refused(atelier(config, "revenue", "propose"), "no income", code=2)
    assert_refused(atelier(config, "revenue", "show", "--token", "nope"), "not a 0x address",
                   code=2)
    with studio.session() as dao:
        send_value(dao.chain, dev_signer("dave"), dao.deployment.timelock, INCOME,
                   action="income")
    # Income but an empty period: nobody has contributed.
    assert_refused(atelier(config, "revenue", "propose"), "no contribution earns", code=2)
    store = studio.open_store()
    for account, kind, ref in [("alice", "review", "run 1 episode 1"),
                               ("alice", "review", "run 1 episode 2"),
                               ("bob", "prompt_rewrite", "proposal 2 letterer"),
                               ("carol", "curation_vote", "ballot 1")]:
        store.record_contribution(Contribution(account=dev_signer(account).address, kind=kind,
                                               ref=ref, evidence="0x01"))
    store.close()

    contracts = json.loads(atelier(config, "dao", "status", "--json").out)["contracts"]
    assert contracts["revenue"] == studio.deployment().revenue is not None
    shown = json.loads(atelier(config, "revenue", "show", "--json").out)
    assert (shown["income_wei"], shown["entries"], shown["total_shares"]) == (
        str(INCOME), [1, 4], 15)
    assert [(p["name"], p["contributions"], p["shares"]) for p in shown["payees"]] == [
        (n, c, s) for n, c, s in sorted(
            [("alice", {"review": 2}, 4), ("bob", {"prompt_rewrite": 1}, 10),
             ("carol", {"curation_vote": 1}, 1)],
            key=lambda row: dev_signer(row[0]).address)]
    proposed = atelier(config, "revenue", "propose", "--as", "bob", "--json")
    assert proposed.code == 0, proposed.err
    number = json.loads(proposed.out)["proposal"]
    pass_proposal(config, number)

    assert_refused(atelier(config, "revenue", "claim", "--as", "dave"), "dave is not a payee",
                   code=2)
    claimed = {}
    for name in ("alice", "bob", "carol"):
        result = atelier(config, "revenue", "claim", "--as", name, "--json")
        assert result.code == 0, result.err
        claimed[name] = int(json.loads(result.out)["claimed_wei"])
        assert_refused(atelier(config, "revenue", "claim", "--as", name), "nothing to claim",
                       code=2)
    assert claimed == {p["name"]: int(p["owed_wei"]) for p in shown["payees"]}
    assert INCOME - len(claimed) <= sum(claimed.values()) <= INCOME
    with studio.session() as dao:
        [splitter] = dao.chain.w3.eth.contract(
            address=dao.deployment.revenue, abi=abi("RevenueSplits")).functions.splits().call()
        assert dao.chain.w3.eth.get_balance(splitter) == INCOME - sum(claimed.values())
    # The rule changes by proposal: later splits price reviews at 3.
    assert_refused(atelier(config, "revenue", "rule", "--review", "2"), "in force already",
                   code=2)
    ruled = atelier(config, "revenue", "rule", "--review", "3", "--as", "carol", "--json")
    assert ruled.code == 0, ruled.err
    pass_proposal(config, json.loads(ruled.out)["proposal"])
    after = json.loads(atelier(config, "revenue", "show", "--json").out)
    assert after["rule"]["review"] == 3
    assert (after["income_wei"], after["entries"], after["payees"]) == ("0", [5, 4], [])
    assert_refused(atelier(config, "revenue", "propose"), "no income", code=2)


def test_the_operator_earns_a_share_for_each_published_episode(tmp_path: Path) -> None:
    """Operator work: the run's publish records it (evidence: the episode's provenance root);
    it earns shares, priced on-chain and changed by proposal, and the operator claims them."""
    config = governed_studio(tmp_path, episodes=1)
    result = atelier(config, "run", "start")
    assert result.code == 0, result.err
    studio = studio_at(config)
    with studio.session() as dao:
        send_value(dao.chain, dev_signer("dave"), dao.deployment.timelock, INCOME,
                   action="income")
    shown = json.loads(atelier(config, "revenue", "show", "--json").out)
    assert [(p["name"], p["contributions"], p["shares"]) for p in shown["payees"]] == [
        ("deployer", {"operator_work": 1}, 3)]  # [revenue] per_operator_work's default
    assert "1 operator_work x 3" in atelier(config, "revenue", "show").out
    ruled = atelier(config, "revenue", "rule", "--operator-work", "6", "--json")
    assert ruled.code == 0, ruled.err
    pass_proposal(config, json.loads(ruled.out)["proposal"])
    assert json.loads(atelier(config, "revenue", "show", "--json").out)["rule"][
        "operator_work"] == 6
    proposed = atelier(config, "revenue", "propose", "--json")
    assert proposed.code == 0, proposed.err
    pass_proposal(config, json.loads(proposed.out)["proposal"])
    claimed = atelier(config, "revenue", "claim", "--as", "deployer", "--json")
    assert claimed.code == 0, claimed.err
    assert int(json.loads(claimed.out)["claimed_wei"]) == INCOME  # the one payee: all of it


def test_the_revenue_rule_changes_by_proposal(dao: StudioDAO) -> None:
    new = {"prompt_rewrite": 1, "review": 0, "curation_vote": 7, "audit_proposal": 3,
           "operator_work": 4}
    assert revenue_rule(dao) == {"prompt_rewrite": 10, "review": 2, "curation_vote": 1,
                                 "audit_proposal": 5, "operator_work": 3}  # [revenue]'s defaults
    action = rule_action(dao, new)
    assert action.summary.startswith("RevenueSplits.setRevenueRule(")
    pass_and_execute(dao, dao.propose(dev_signer("alice"), [action], "# New revenue rule\n"))
    assert revenue_rule(dao) == new
    send_value(dao.chain, dev_signer("dave"), dao.deployment.timelock, 100, action="income")
    # Reviews now earn nothing: alice is no payee (PaymentSplitter refuses zero shares).
    operator = Entry(7, dev_signer("deployer").address, "operator_work")  # a published episode
    plan = plan_split(dao, [*ledger(), operator])
    assert sorted((dao.name_of(p.account), p.shares) for p in plan.payees) == [
        ("bob", 1), ("carol", 21), ("deployer", 4)]


def test_revenue_splits_guards_its_periods_and_its_owner(chain: DevChain) -> None:
    """RevenueSplits owned by a plain account (alice), to reach split directly."""
    alice, bob = dev_signer("alice"), dev_signer("bob")
    factory = chain.w3.eth.contract(abi=abi("RevenueSplits"), bytecode=bytecode("RevenueSplits"))
    receipt = deploy_contract(chain, alice, factory, alice.address, (1, 1, 1, 1, 1),
                              action="deploying revenue splits")
    splits = chain.w3.eth.contract(address=receipt["contractAddress"], abi=abi("RevenueSplits"))
    payees, shares = [bob.address, alice.address], [3, 1]

    for signer, tokens, value, error in [
            (alice, ([], []), 0, "EmptyIncome"),
            (alice, ([bob.address], [0]), 0, "EmptyIncome"),  # a token, but none of it
            (alice, ([bob.address], []), 10, "TokenListMismatch"),
            (bob, ([], []), 10, "OwnableUnauthorizedAccount")]:
        with pytest.raises(TransactionFailed) as raised:
            transact(chain, signer, splits.functions.split(1, payees, shares, *tokens),
                     action="split", explain=Explainer(str, str), value=value)
        assert raised.value.error_name == error
    predicted = splits.functions.splitAddress(4, payees, shares).call()
    transact(chain, alice, splits.functions.split(4, payees, shares, [], []), action="split",
             value=10)
    assert splits.functions.splits().call() == [predicted]
    assert (splits.functions.lastPeriodEnd().call(), chain.w3.eth.get_balance(predicted)) == (
        4, 10)
    with pytest.raises(TransactionFailed) as raised:  # the same period, or an earlier one
        transact(chain, alice, splits.functions.split(4, payees, shares, [], []),
                 action="split", explain=Explainer(str, str), value=10)
    assert raised.value.error_args == (4, 4)
    assert "paid out already (the last split ended at entry 4)" in raised.value.message


def test_an_erc20_income_is_split_and_claimed_too(dao: StudioDAO) -> None:
    """A dev chain's test token (OpenZeppelin 4.9's ERC20PresetFixedSupply) reaches the
    treasury; a period with token income and no ETH is split and claimed the same way."""
    w3, dave = dao.chain.w3, dev_signer("dave")
    factory = w3.eth.contract(abi=abi("ERC20PresetFixedSupply"),
                              bytecode=bytecode("ERC20PresetFixedSupply"))
    address = deploy_contract(dao.chain, dave, factory, "Test Dollar", "TUSD", 10**9,
                              dave.address, action="deploying the test token")["contractAddress"]
    token = w3.eth.contract(address=address, abi=abi("ERC20PresetFixedSupply"))
    with pytest.raises(RevenueRefused, match="no income"):  # an empty treasury, this token too
        check_splittable(dao, plan_split(dao, ledger(), tokens=[address]))
    income = 10**6 + 5
    transact(dao.chain, dave, token.functions.transfer(dao.deployment.timelock, income),
             action="token income")
    plan = plan_split(dao, ledger(), tokens=[address])
    check_splittable(dao, plan)
    assert (plan.income, plan.tokens) == (0, {address: income})
    actions, splitter = split_actions(dao, plan)
    assert [a.summary.split("(")[0] for a in actions] == [
        f"ERC-20 {address}.approve", "RevenueSplits.split: pay 0 ETH and 1000005 of token "
        f"{address} to 3 payee"]
    pass_and_execute(dao, dao.propose(dev_signer("alice"), actions,
                                      describe(dao, plan, splitter)))
    assert token.functions.balanceOf(splitter).call() == income
    paid = {}
    for payee in plan.payees:
        name = dao.name_of(payee.account)
        [(due, _)] = claim(dao, dev_signer(name))  # the token only: the ETH due is 0
        assert (due.token, due.releasable) == (address, plan.owed(payee, address))
        paid[name] = token.functions.balanceOf(payee.account).call()
        assert paid[name] == income * payee.shares // 17
        with pytest.raises(RevenueRefused, match="nothing to claim"):
            claim(dao, dev_signer(name))
    left = token.functions.balanceOf(splitter).call()
    assert sum(paid.values()) + left == income and left <= len(paid)
    assert token.functions.balanceOf(dao.deployment.timelock).call() == 0
