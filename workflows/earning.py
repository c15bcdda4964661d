"""Reputation earned and decayed at each audit: the settlement an audit proposal carries.

When an audit is written, the ledger's unsettled contributions (``workflows.ledger``) and
every holder's balance go through the rule in force on the chain
(``governance.reputation_rule.settle`` with ``StudioRegistry.reputationRule()``): decay burns
a share of each balance (never below the floor), contributions mint points (capped per
account). The audit proposal's calldata burns and mints exactly that, through the timelock:
no reputation moves without a vote. The settlement is stored with the audit before the
proposal is opened, and the contributions it counts are claimed by the audit at once, so a
resumed audit proposes the same settlement and no contribution counts in two audits; an
audit that is defeated, expires or is cancelled gives its claims back for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.workflows.context import StudioServices, WorkflowError

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.proposals import Action
    from atelier.governance.reputation_rule import Settlement
    from atelier.store.database import Store
    from atelier.store.models import Audit, Contribution


@dataclass(frozen=True)
class StoredSettlement:
    """What an audit row keeps of its settlement (JSON), and reads back."""

    before: dict[str, int]
    burns: dict[str, int]
    mints: dict[str, int]
    after: dict[str, int]
    reasons: dict[str, list[str]]
    contributions: list[int]  # ledger ids the audit claims
    rule: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"before": self.before, "burns": self.burns, "mints": self.mints,
                "after": self.after, "reasons": self.reasons,
                "contributions": self.contributions, "rule": self.rule}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredSettlement:
        return cls(**{k: data.get(k) or ({} if k != "contributions" else [])
                      for k in ("before", "burns", "mints", "after", "reasons",
                                "contributions", "rule")})


def claim_key(audit: Audit) -> str:
    """What the ledger's ``settled_by`` holds for the entries an audit claims."""
    return f"audit {audit.id}"


def settle_for_audit(studio: StudioServices, store: Store, dao: StudioDAO
                     ) -> tuple[StoredSettlement, list[Contribution]]:
    """The settlement of every unsettled contribution against today's balances, checked
    again before anything is proposed (``WorkflowError`` with the problems otherwise)."""
    from atelier.governance.members import balances as holdings
    from atelier.governance.reputation_params import reputation_rule
    from atelier.governance.reputation_rule import (
        Contribution,
        Rule,
        RuleError,
        check_settlement,
        settle,
    )
    from atelier.workflows.ledger import earns_reputation, record_executed_audits

    record_executed_audits(studio, store, dao)  # what executed since: its entries count too
    on_chain = reputation_rule(dao)
    rule = Rule(per_kind={"prompt_rewrite": on_chain.per_prompt_rewrite,
                          "review": on_chain.per_review,
                          "curation_vote": on_chain.per_curation_vote,
                          "audit_proposal": on_chain.per_audit_proposal},
                cap_per_audit=on_chain.cap_per_audit, decay_bps=on_chain.decay_bps,
                decay_floor=on_chain.decay_floor)
    entries = [e for e in store.contributions(unsettled=True) if earns_reputation(e)]
    contributions = [Contribution(e.account, e.kind, e.ref, e.evidence) for e in entries]
    balances = holdings(dao)
    try:
        settlement = settle(rule, balances, contributions)
    except RuleError as exc:
        raise WorkflowError(f"the audit's reputation settlement is refused: {exc.message}",
                            hint=exc.hint) from None
    problems = check_settlement(rule, settlement, contributions)
    if problems:
        raise WorkflowError("the audit's reputation settlement is refused: "
                            + "; ".join(problems[:3]),
                            hint="report this as a bug; nothing was proposed")
    return _stored(settlement, entries, on_chain.as_struct()), entries


def _stored(settlement: Settlement, entries: list[Contribution], rule: tuple[int, ...]
            ) -> StoredSettlement:
    names = ("per_prompt_rewrite", "per_review", "per_curation_vote", "per_audit_proposal",
             "cap_per_audit", "decay_bps", "decay_floor")
    return StoredSettlement(
        before=dict(settlement.before), burns=dict(settlement.burns),
        mints=dict(settlement.mints), after=dict(settlement.after),
        reasons={a: list(r) for a, r in settlement.reasons.items()},
        contributions=[e.id or 0 for e in entries], rule=dict(zip(names, rule, strict=True)))


def settlement_actions(dao: StudioDAO, settlement: StoredSettlement) -> list[Action]:
    """The proposal's calls: burn the decay, then mint what was earned (token units)."""
    from atelier.governance.deploy import REPUTATION_UNIT
    from atelier.governance.proposals import Action

    actions = []
    for function, amounts in (("burn", settlement.burns), ("mint", settlement.mints)):
        for account, points in sorted(amounts.items()):
            calldata = bytes.fromhex(dao.token.encode_abi(
                function, [account, points * REPUTATION_UNIT])[2:])
            actions.append(Action(dao.deployment.token, 0, calldata,
                                  f"{function} {points} reputation of {dao.name_of(account)}"))
    return actions


def release_claims(store: Store, audit: Audit) -> int:
    """An audit that will not execute gives its contributions back to the next one."""
    return store.release_contributions(claim_key(audit))


def power_table(settlement: StoredSettlement, names: dict[str, str]) -> list[str]:
    """The report's reputation section: the rule, then per account before, burnt, minted,
    after and why."""
    rule = settlement.rule
    lines = [f"Rule in force on-chain: prompt rewrite {rule.get('per_prompt_rewrite')}, review "
             f"{rule.get('per_review')}, curation vote {rule.get('per_curation_vote')}, audit "
             f"proposal {rule.get('per_audit_proposal')} points; at most "
             f"{rule.get('cap_per_audit')} an account per audit; decay "
             f"{(rule.get('decay_bps') or 0) / 100:g}% a audit, never below "
             f"{rule.get('decay_floor')}. Executing this proposal burns and mints exactly this:",
             "", "| member | before | decay | earned | after | why |",
             "|---|---:|---:|---:|---:|---|"]
    accounts = sorted(settlement.after, key=lambda a: (-settlement.after[a], names.get(a, a)))
    for account in accounts:
        why = "; ".join(settlement.reasons.get(account, [])) or "-"
        lines.append(f"| {names.get(account, account)} | {settlement.before.get(account, 0)} | "
                     f"-{settlement.burns.get(account, 0)} | +{settlement.mints.get(account, 0)}"
                     f" | {settlement.after[account]} | {why} |")
    return lines
