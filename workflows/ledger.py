"""The contribution ledger: every act that earns reputation, recorded with its evidence.

Kinds (``atelier.governance.reputation_rule.KINDS``):

- ``review``: a member's signed review of an episode (one per member and episode: a newer
  review replaces the evidence while the entry is unsettled); evidence: the signature.
- ``curation_vote``: a member's signed vote on a ballot (one per member and ballot).
- ``audit_proposal``: an audit proposal that executed, to its proposer; evidence: its id.
- ``prompt_rewrite``: a prompt rewrite members approved, to each author of the file who is
  a studio account (``metadata.authors``); the editor agent's drafts earn nothing.

And one kind that earns revenue shares only (``REVENUE_ONLY``), never reputation:

- ``operator_work``: an episode published, to the operator whose run made it (``[workflow]
  operator``: it ran the models and paid the gas); evidence: the episode's provenance root.
  Reputation is voting power; if running compute earned it, capital would buy votes.

Reviews and votes are recorded when they are stored; audits when the studio learns they
executed (a ``run resume``, or ``record_executed_audits`` from any command). An entry names
the account, the kind, what it belongs to and its evidence, so anyone can recompute what it
earned; the audit that mints for it marks it settled, and a settled entry never counts again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier.workflows.context import StudioServices

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.store.database import Store
    from atelier.store.models import Audit, Ballot, Contribution
    from atelier.store.models import CurationVote as VoteRow
    from atelier.store.models import Review as ReviewRow

#: The pseudo-author of the editor agent's drafts: it earns nothing.
EDITOR_AUTHOR = "editor"

OPERATOR_WORK = "operator_work"
#: Kinds that earn revenue shares but no reputation: an audit's settlement leaves them be.
REVENUE_ONLY: tuple[str, ...] = (OPERATOR_WORK,)


def earns_reputation(entry: Contribution) -> bool:
    return entry.kind not in REVENUE_ONLY


def record_operator_work(store: Store, run_id: int, number: int, operator: str,
                         root: str) -> Contribution:
    """The operator's entry for a published episode (one per episode: publishing again after
    a crash keeps the one row)."""
    from atelier.store.models import Contribution

    return store.record_contribution(Contribution(
        account=operator, kind=OPERATOR_WORK, ref=f"run {run_id} episode {number}",
        evidence=root, run_id=run_id))


def record_review(store: Store, row: ReviewRow) -> Contribution:
    from atelier.store.models import Contribution

    return store.record_contribution(Contribution(
        account=row.reviewer, kind="review", ref=f"run {row.run_id} episode {row.episode}",
        evidence=row.signature, run_id=row.run_id))


def record_curation_vote(store: Store, ballot: Ballot, row: VoteRow) -> Contribution:
    from atelier.store.models import Contribution

    return store.record_contribution(Contribution(
        account=row.voter, kind="curation_vote", ref=f"ballot {ballot.id}",
        evidence=row.signature, run_id=ballot.run_id))


def record_executed_audit(store: Store, audit: Audit, proposer: str,
                          accounts: dict[str, str]) -> list[Contribution]:
    """The entries an executed audit earns: its proposer's, and each named author's of the
    rewrites it approved (``accounts``: name -> address of the studio's accounts)."""
    from atelier.store.models import Contribution

    if audit.proposal_id is None:
        return []
    number = audit.proposal_number
    entries = [Contribution(account=proposer, kind="audit_proposal", ref=f"proposal {number}",
                            evidence=audit.proposal_id, run_id=audit.run_id)]
    for agent, authors in sorted((audit.drafted_by or {}).items()):
        for name in authors:
            if name == EDITOR_AUTHOR or name not in accounts:
                continue
            entries.append(Contribution(
                account=accounts[name], kind="prompt_rewrite",
                ref=f"proposal {number} {agent}", evidence=audit.proposal_id,
                run_id=audit.run_id))
    return [store.record_contribution(entry) for entry in entries]


def record_executed_audits(studio: StudioServices, store: Store, dao: StudioDAO) -> int:
    """Bring the ledger and the audits' statuses up to the chain: every audit proposal that
    executed since the studio last looked earns its entries. Returns how many audits."""
    from atelier.governance.proposal_state import ProposalState

    accounts = {name: address for address, name in studio.account_names().items()}
    learned = 0
    for audit in store.audits():
        if audit.proposal_number is None or audit.status in ("defeated", "expired",
                                                              "canceled"):
            continue
        if audit.status != "executed":
            proposal = dao.proposal(str(audit.proposal_number))
            if dao.status(proposal).state is not ProposalState.Executed:
                continue
            audit = store.update_audit(audit.id or 0, status="executed")
        else:
            proposal = dao.proposal(str(audit.proposal_number))
        if not any(c.ref == f"proposal {audit.proposal_number}"
                   for c in store.contributions(proposal.proposer)):
            record_executed_audit(store, audit, proposal.proposer, accounts)
            learned += 1
    return learned
