"""Releases earn the income: a release proposal mints an anchored episode (ERC-721 +
ERC-2981) to the treasury, a buyer pays its fixed price to the treasury, and the next revenue
split pays that out by contribution: sale → treasury → split → claim, end to end."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from revenue_helpers import ledger

from atelier.governance.accounts import dev_signer
from atelier.governance.dao import StudioDAO
from atelier.governance.provenance import studio_provenance
from atelier.governance.releases import (
    ReleaseRefused,
    buy,
    metadata,
    release_action,
    releases,
    royalty,
)
from atelier.governance.revenue import check_splittable, claim, describe, plan_split, split_actions
from atelier.governance.tx import send_value

from cli_helpers import assert_refused, atelier
from dao_helpers import pass_and_execute
from workflow_helpers import governed_studio, pass_proposal, studio_at

PRICE = 25 * 10**16  # 0.25 ETH
ROOT = hashlib.sha256(b"episode 1").digest()
PROMPT = "0x" + hashlib.sha256(b"scriptwriter").hexdigest()


def test_a_released_episode_is_sold_and_its_price_split_by_contribution(dao: StudioDAO) -> None:
    w3, treasury, dave = dao.chain.w3, dao.deployment.timelock, dev_signer("dave")
    with pytest.raises(ReleaseRefused, match="not anchored"):
        release_action(dao, ROOT, PRICE)
    studio_provenance(dao).anchor(
        dev_signer("deployer"), root=ROOT, run_key=hashlib.sha256(b"run").digest(), run=1,
        episode=1, leaf_count=7, goal_proposal_id=42, prompts={"scriptwriter": PROMPT})
    action = release_action(dao, ROOT, PRICE)
    pass_and_execute(dao, dao.propose(dev_signer("alice"), [action], "# Release episode 1\n"))
    [release] = releases(dao)
    assert (release.token_id, release.root, release.price, release.owner) == (
        1, ROOT, PRICE, treasury)
    assert metadata(dao, 1) == {"name": "Episode 1 of run 1",
                                "provenance_root": "0x" + ROOT.hex(), "goal_proposal": "42",
                                "prompts": {"scriptwriter": PROMPT}}
    # 5% of a resale; to the treasury while no split exists yet
    assert royalty(dao, 1, 10**18) == (treasury, 5 * 10**16)
    with pytest.raises(ReleaseRefused, match="release 1 already"):
        release_action(dao, ROOT, PRICE)

    before = w3.eth.get_balance(treasury)
    buy(dao, dave, 1)
    assert w3.eth.get_balance(treasury) == before + PRICE
    assert releases(dao)[0].owner == dave.address
    with pytest.raises(ReleaseRefused, match="release 1 is sold"):
        buy(dao, dev_signer("carol"), 1)
    with pytest.raises(ReleaseRefused, match="no release 2"):
        buy(dao, dave, 2)

    # The sale is the period's income: split, and every payee claims it.
    plan = plan_split(dao, ledger())
    check_splittable(dao, plan)
    assert plan.income == PRICE
    actions, splitter = split_actions(dao, plan)
    pass_and_execute(dao, dao.propose(dev_signer("bob"), actions, describe(dao, plan, splitter)))
    claimed = 0
    for payee in plan.payees:
        [(due, _)] = claim(dao, dev_signer(dao.name_of(payee.account)))
        claimed += due.releasable
    assert PRICE - len(plan.payees) <= claimed <= PRICE
    assert w3.eth.get_balance(splitter) == PRICE - claimed

    # Royalties go to the current split: a resale's royalty, paid by a marketplace to the
    # receiver ERC-2981 names, is claimed by that split's payees in their shares.
    royalty_due = 5 * 10**16
    assert royalty(dao, 1, 10**18) == (splitter, royalty_due)
    send_value(dao.chain, dave, splitter, royalty_due, action="a resale's royalty")
    again = 0
    for payee in plan.payees:
        [(due, _)] = claim(dao, dev_signer(dao.name_of(payee.account)))
        share = royalty_due * payee.shares // plan.total_shares  # the first claim rounded
        assert due.releasable in (share, share + 1)  # down; this one may get that wei back
        again += due.releasable
    paid_in = PRICE + royalty_due  # nothing stranded but each payee's last rounding
    assert paid_in - len(plan.payees) <= claimed + again <= paid_in
    assert w3.eth.get_balance(splitter) == paid_in - claimed - again


def test_release_propose_list_buy_from_the_command_line(tmp_path: Path) -> None:
    from atelier.workflows.runner import Runner

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    studio = studio_at(config)
    with studio.open_store() as store:
        assert Runner(studio, store).start().status == "done"  # episode 1 is anchored
    assert_refused(atelier(config, "release", "propose", "1", "9", "--price", "0.5"),
                   "episode 9 of run 1 is not anchored", code=2)
    assert_refused(atelier(config, "release", "propose", "1", "1", "--price", "free"),
                   "--price 'free' is not an amount of ETH", code=2)
    proposed = atelier(config, "release", "propose", "1", "1", "--price", "0.5", "--json")
    assert proposed.code == 0, proposed.err
    pass_proposal(config, json.loads(proposed.out)["proposal"])
    [listed] = json.loads(atelier(config, "release", "list", "--json").out)
    assert (listed["release"], listed["name"], listed["for_sale"], listed["owner"]) == (
        1, "Episode 1 of run 1", True, "treasury")
    bought = atelier(config, "release", "buy", "1", "--as", "dave", "--json")
    assert bought.code == 0, bought.err
    assert json.loads(bought.out)["price_wei"] == str(5 * 10**17)
    shown = json.loads(atelier(config, "revenue", "show", "--json").out)
    assert shown["income_wei"] == str(5 * 10**17)  # the sale is the treasury's income
    assert_refused(atelier(config, "release", "buy", "1", "--as", "carol"),
                   "release 1 is sold (to dave)", code=2)
    assert_refused(atelier(config, "release", "buy", "7", "--as", "carol"), "no release 7",
                   code=2)
