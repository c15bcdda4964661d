"""The demo's economy: the first episode is released by proposal, a collector buys it, and
the treasury's income is split by contribution (reviews, curation votes, audit proposals,
the approved rewrite, the operator's published episodes) and claimed, on the same chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from atelier.cli.output import console
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.dao import Proposal, StudioDAO
    from atelier.studio import Studio

PRICE = 5 * 10**16  # 0.05 ETH
BUYER = "dave"  # a dev account with ETH and no part in the studio

Passer = Callable[["StudioDAO", "Proposal", str], None]
Step = Callable[[str], None]


def release_sell_split(studio: Studio, run_id: int, pass_: Passer, step: Step) -> None:
    """Release episode 1, sell it, split the income by contribution, and let each payee
    claim; prints who earned what and why."""
    from atelier.cli.revenue import plan_period
    from atelier.governance.accounts import dev_signer
    from atelier.governance.provenance import studio_provenance
    from atelier.governance.releases import buy, release_action, release_description
    from atelier.governance.revenue import (
        check_splittable,
        claim,
        describe,
        eth,
        split_actions,
    )
    from atelier.workflows.audit import run_key

    with studio.open_store() as store:
        key = run_key(store.run(run_id))
    proposer = dev_signer("alice")
    with studio.session() as dao:
        root = studio_provenance(dao).root_of(key, 1)
        if root is None:
            raise AtelierError("the demo's first episode was not anchored on the chain")
        console.print()
        step(f"alice proposes to release episode 1 as an ERC-721 token owned by the treasury, "
             f"for sale at {eth(PRICE)} ETH (its metadata: the provenance root and prompts)")
        proposal = dao.propose(proposer, [release_action(dao, root, PRICE)],
                               release_description(run_id, 1, root, PRICE))
        pass_(dao, proposal, "worth collecting")
        release, _ = buy(dao, dev_signer(BUYER), _token_of(dao, root))
        step(f"{BUYER} buys release {release.token_id} for {eth(PRICE)} ETH: the treasury's "
             "income; resale royalties go to the current split")
        plan = plan_period(studio, dao, None)  # as `revenue propose` reads the ledger
        check_splittable(dao, plan)
        actions, splitter = split_actions(dao, plan)
        step(f"alice proposes to split the income among {len(plan.payees)} contributors, by "
             "their ledger entries times the on-chain revenue rule")
        pass_(dao, dao.propose(proposer, actions, describe(dao, plan, splitter)),
              "pay the contributors")
        table = Table("payee", "contributions", "shares", "claimed ETH")
        for payee in plan.payees:
            name = dao.name_of(payee.account)
            claimed = sum(due.releasable for due, _ in claim(dao, dev_signer(name)))
            why = ", ".join(_counted(kind, n) for kind, n in payee.counts.items())
            table.add_row(escape(name), escape(why), str(payee.shares), eth(claimed))
    step(f"each payee claims its due from the OpenZeppelin PaymentSplitter at {splitter} "
         "(`atelier revenue claim --as NAME`):")
    console.print(table)


def _counted(kind: str, n: int) -> str:
    if kind == "operator_work":
        return f"operator work: {n} episode{'' if n == 1 else 's'} published"
    return f"{n} {kind.replace('_', ' ')}{'' if n == 1 else 's'}"


def _token_of(dao: StudioDAO, root: bytes) -> int:
    from atelier.governance.releases import releases

    return next(r.token_id for r in releases(dao) if r.root == root)
