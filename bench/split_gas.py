"""Gas of the income loop (part of the gas benchmark): a released episode's primary sale
(``StudioReleases.buy``: the token moves to the buyer, the price to the treasury); executing
the split proposal that pays the sale out (the timelock has RevenueSplits deploy one
OpenZeppelin 4.9 PaymentSplitter by CREATE2 holding the income); each payee's claim
(``PaymentSplitter.release``). The first claim also writes the splitter's running total from
zero, so it costs more than the later ones."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.governance.accounts import dev_signer
from atelier.governance.lifecycle import Ballot, Step, pass_proposal
from atelier.governance.proposal_state import ProposalState
from atelier.governance.releases import buy, release_action
from atelier.governance.revenue import check_splittable, claim, describe, plan_split, split_actions

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO

PAYEES = ("alice", "bob", "carol", "dave")
INCOME = 10**18  # the release's price: the split's income


@dataclass
class _Entry:
    id: int
    account: str
    kind: str


def measure(dao: StudioDAO) -> dict[str, tuple[int, float]]:
    """row -> (gas, wall ms through the client) of one split of ``INCOME`` among ``PAYEES``
    (one review each)."""
    rows = {"release: buy (primary sale)": _sell(dao)}
    ledger = [_Entry(i, dev_signer(n).address, "review") for i, n in enumerate(PAYEES, 1)]
    plan = plan_split(dao, ledger)
    check_splittable(dao, plan)
    actions, splitter = split_actions(dao, plan)
    proposal = dao.propose(dev_signer("alice"), actions, describe(dao, plan, splitter))

    def record(step: Step, _ballot: Ballot | None, receipt: Any, seconds: float) -> None:
        if step == "executed" and receipt is not None:
            rows["split: execute (deploy the splitter)"] = (int(receipt["gasUsed"]),
                                                            seconds * 1000)

    state = pass_proposal(dao, proposal, [Ballot(dev_signer(n)) for n in PAYEES[:3]],
                          executor=dev_signer("alice"), on_step=record)
    if state is not ProposalState.Executed:
        raise RuntimeError(f"the benchmark split ended {state.name}")
    for i, name in enumerate(PAYEES):
        started = time.perf_counter()
        [(_due, receipt)] = claim(dao, dev_signer(name))
        if i < 2:  # the first claim, then a later one (all later ones cost the same)
            rows[f"split: claim ({'first' if i == 0 else 'later'} payee)"] = (
                int(receipt["gasUsed"]), (time.perf_counter() - started) * 1000)
    return rows


def _sell(dao: StudioDAO) -> tuple[int, float]:
    """Anchor an episode, release it by proposal at ``INCOME``, sell it: the sale's gas."""
    import hashlib

    from atelier.governance.provenance import studio_provenance

    root = hashlib.sha256(b"bench release").digest()
    studio_provenance(dao).anchor(
        dev_signer("deployer"), root=root, run_key=hashlib.sha256(b"bench sale").digest(),
        run=1, episode=1, leaf_count=20, goal_proposal_id=1,
        prompts={"scriptwriter": "0x" + hashlib.sha256(b"prompt").hexdigest()})
    proposal = dao.propose(dev_signer("alice"), [release_action(dao, root, INCOME)],
                           "# Release the benchmark episode\n")
    state = pass_proposal(dao, proposal, [Ballot(dev_signer(n)) for n in PAYEES[:3]],
                          executor=dev_signer("alice"))
    if state is not ProposalState.Executed:
        raise RuntimeError(f"the benchmark release ended {state.name}")
    started = time.perf_counter()
    _release, receipt = buy(dao, dev_signer("deployer"), 1)
    return int(receipt["gasUsed"]), (time.perf_counter() - started) * 1000
