"""The on-chain side of reputation: the rule in ``StudioRegistry`` (how members earn points
and how they decay) and how the governor counts votes (linear or quadratic).

The rule is read from the chain, never from config.toml: config only seeds it at deployment;
after that it changes by an executed proposal (``reputation_rule_action``) alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.governance.deploy import REPUTATION_UNIT, Counting, ReputationRuleSettings
from atelier.governance.tx import call
from atelier.kernel.errors import ChainError, TransactionFailed

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.proposals import Action

#: Basis points in 100%: the largest ``decay_bps`` the registry accepts.
MAX_DECAY_BPS = 10_000

#: On a quadratic DAO a vote weighs ``isqrt(reputation in token units)``. Reputation has 18
#: decimals, so one whole point (1e18 units) weighs ``isqrt(1e18) == 10**9``: weights,
#: tallies and the quorum of a quadratic DAO are in units of ``QUADRATIC_UNIT`` per
#: sqrt(point) (100 reputation -> 10 * QUADRATIC_UNIT).
QUADRATIC_UNIT = 10**9

#: ``StudioRegistry.ReputationRule``'s fields, in order.
_STRUCT_FIELDS = ("perPromptRewrite", "perReview", "perCurationVote", "perAuditProposal",
                  "capPerAudit", "decayBps", "decayFloor")


@dataclass(frozen=True)
class OnChainRule:
    """``StudioRegistry.reputationRule()``; amounts in whole reputation points."""

    per_prompt_rewrite: int
    per_review: int
    per_curation_vote: int
    per_audit_proposal: int
    cap_per_audit: int
    decay_bps: int  # basis points of a balance burnt per audit (0..10000)
    decay_floor: int  # decay never takes a balance below this

    @property
    def decay_percent(self) -> float:
        return self.decay_bps / 100

    @classmethod
    def from_struct(cls, struct: Any) -> OnChainRule:
        """From the ABI-decoded ``ReputationRule``: a tuple in the struct's field order (a
        call's result) or a mapping by field name (an event's argument)."""
        if isinstance(struct, Mapping):
            struct = [struct[name] for name in _STRUCT_FIELDS]
        return cls(*(int(v) for v in struct))

    @classmethod
    def from_settings(cls, settings: ReputationRuleSettings) -> OnChainRule:
        return cls(*settings.as_struct())

    def as_struct(self) -> tuple[int, ...]:
        """The ``ReputationRule`` tuple ``setReputationRule`` takes."""
        return (self.per_prompt_rewrite, self.per_review, self.per_curation_vote,
                self.per_audit_proposal, self.cap_per_audit, self.decay_bps, self.decay_floor)


class NoReputationRule(ChainError):
    """The DAO's registry predates on-chain reputation rules (it has no ``reputationRule``)."""


def reputation_rule(dao: StudioDAO) -> OnChainRule:
    """The reputation rule in force on ``dao``'s registry (``NoReputationRule`` if that
    registry was deployed before the rule lived on-chain)."""
    try:
        struct = call(dao.registry.functions.reputationRule(),
                      action="reading the reputation rule")
    except TransactionFailed:  # the view cannot revert: the function is missing
        raise NoReputationRule(
            "this DAO's registry has no reputation rule: it was deployed before the rule "
            "lived on-chain",
            hint="found a new DAO with `atelier init --force` to get one",
        ) from None
    return OnChainRule.from_struct(struct)


def reputation_rule_action(dao: StudioDAO, rule: OnChainRule) -> Action:
    """A proposal action replacing the rule (``StudioRegistry.setReputationRule``)."""
    return dao.registry_action("setReputationRule", rule.as_struct())


def counting(dao: StudioDAO) -> Counting:
    """How ``dao``'s governor weighs votes, read from the contract."""
    return "quadratic" if dao.governor.functions.quadratic().call() else "linear"


def vote_unit(counting: Counting) -> int:
    """Token units of one whole vote: a reputation point (linear), or the weight of one
    point, sqrt(1e18) = 1e9 (quadratic). Divide weights, tallies and quorums by it."""
    return QUADRATIC_UNIT if counting == "quadratic" else REPUTATION_UNIT
