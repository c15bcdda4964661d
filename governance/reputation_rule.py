"""The reputation rule: how contributions become reputation at each audit, and how it decays.

Reputation is the studio's voting power and cannot be bought or transferred, so the rule that
mints it *is* the constitution: it is earned only for work anyone can check (a prompt
rewrite, a signed review, a curation vote, an audit proposal) and a share of every balance is
burnt at each audit, so that power follows recent work rather than early arrival. The audit
proposal carries the resulting burns and mints as calldata; because this module is pure and
deterministic, every member can recompute them from the same balances and the same evidence
and vote down a proposal that differs. bench/whales.py drives the same function, so the
simulation measures the rule that ships.

Amounts are whole points, as in the registry's ``ReputationRule``; turning them into token
units (``REPUTATION_UNIT``) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from atelier.kernel.errors import AtelierError

#: What earns reputation, in the registry's order.
KINDS: tuple[str, ...] = ("prompt_rewrite", "review", "curation_vote", "audit_proposal")
#: Basis points in a whole (decay_bps is a share of this).
BPS = 10_000


class RuleError(AtelierError, ValueError):
    """A rule or an input no honest settlement can come from: an unknown kind, a negative
    amount or balance, a decay over 100%, a contribution without an account."""


def _whole(what: str, value: object) -> int:
    """Amounts are whole points, never negative: a negative mint would be a hidden burn."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError(f"{what} must be a whole number of points ≥ 0, not {value!r}")
    return value


@dataclass(frozen=True)
class Rule:
    """Mirrors the on-chain ``StudioRegistry.ReputationRule`` (whole points).

    Every kind must be priced (0 is allowed): a rule read from the chain always has all of
    them, and a missing or misspelt kind silently earning nothing is how a rule goes wrong.
    """

    per_kind: Mapping[str, int] = field(hash=False)  # points per contribution of each kind
    cap_per_audit: int  # most points one account earns in one audit: effort beyond is free
    decay_bps: int  # basis points of each balance burnt per audit (0..10000)
    decay_floor: int  # decay never takes a balance below this: occasional members keep a voice

    def __post_init__(self) -> None:
        unknown = sorted(set(self.per_kind) - set(KINDS))
        if unknown:
            raise RuleError(f"the rule prices unknown kinds {', '.join(map(repr, unknown))}",
                            hint=f"kinds are {', '.join(KINDS)}")
        missing = [kind for kind in KINDS if kind not in self.per_kind]
        if missing:
            raise RuleError(f"the rule gives no points for {', '.join(missing)}",
                            hint="price every kind (0 is allowed), as the registry does")
        points = {kind: _whole(f"points per {kind}", self.per_kind[kind]) for kind in KINDS}
        object.__setattr__(self, "per_kind", points)  # a copy: the caller's dict may change
        _whole("cap_per_audit", self.cap_per_audit)
        if _whole("decay_bps", self.decay_bps) > BPS:
            raise RuleError(f"decay_bps is at most {BPS} (all of a balance), not "
                            f"{self.decay_bps}")
        _whole("decay_floor", self.decay_floor)

    def burn(self, balance: int) -> int:
        """What one audit's decay takes from a balance: its share, rounded down (the chain
        has no fractions and rounding up would burn what nobody decided), never past the
        floor; a balance at or below the floor burns nothing."""
        return min(balance * self.decay_bps // BPS, max(balance - self.decay_floor, 0))


@dataclass(frozen=True)
class Contribution:
    """One piece of checkable work; its evidence lets anyone recompute the mint."""

    account: str  # checksum address (or any id in the simulation)
    kind: str  # one of KINDS
    ref: str  # what it belongs to: "episode 3", "proposal 7", ...
    evidence: str  # signature or proposal id


@dataclass(frozen=True)
class Settlement:
    """One audit's reputation changes. ``before`` and ``after`` name every account the audit
    touched (holders and earners); ``burns`` and ``mints`` only the non-zero amounts, which
    are what the proposal's calldata carries. Keys are sorted, so equal inputs give equal
    settlements, byte for byte once serialised."""

    before: dict[str, int]
    burns: dict[str, int]
    mints: dict[str, int]
    after: dict[str, int]
    reasons: dict[str, tuple[str, ...]]  # account -> why it earned ("2 reviews: 4", ...)


def _label(kind: str, count: int) -> str:
    return f"{count} {kind.replace('_', ' ')}{'' if count == 1 else 's'}"


def settle(rule: Rule, balances: Mapping[str, int], contributions: Sequence[Contribution], *,
           exempt: Collection[str] = ()) -> Settlement:
    """Decay first, then mint: this audit's work is not decayed before it is ever held.

    Each contribution earns its kind's points; the same (account, kind, ref, evidence) twice
    counts once (a resubmitted signature is not new work); an account's earnings stop at the
    cap. ``exempt`` accounts (the editor agent's pseudo-account, say) earn nothing whatever
    they did; they decay like everyone else, founders included.
    """
    before: dict[str, int] = {}
    for account, balance in balances.items():
        before[account] = _whole(f"the balance of {account}", balance)
    never = set(exempt)
    counts: dict[str, dict[str, int]] = {}  # account -> kind -> distinct contributions
    duplicates: dict[str, int] = {}
    seen: set[tuple[str, str, str, str]] = set()
    for c in contributions:
        if c.kind not in KINDS:
            raise RuleError(f"{c.account}'s contribution to {c.ref!r} is of unknown kind "
                            f"{c.kind!r}", hint=f"kinds are {', '.join(KINDS)}")
        if not c.account:
            raise RuleError(f"a {c.kind} contribution to {c.ref!r} has no account")
        if c.account in never:
            continue
        key = (c.account, c.kind, c.ref, c.evidence)
        if key in seen:
            duplicates[c.account] = duplicates.get(c.account, 0) + 1
            continue
        seen.add(key)
        counts.setdefault(c.account, dict.fromkeys(KINDS, 0))[c.kind] += 1

    accounts = sorted(set(before) | set(counts))
    before = {a: before.get(a, 0) for a in accounts}
    burns: dict[str, int] = {}
    mints: dict[str, int] = {}
    reasons: dict[str, tuple[str, ...]] = {}
    for account in accounts:
        if burn := rule.burn(before[account]):
            burns[account] = burn
        if account not in counts:
            continue
        why = [f"{_label(kind, n)}: {n * rule.per_kind[kind]}"
               for kind, n in counts[account].items() if n]
        if duplicates.get(account):
            why.append(f"{_label('duplicate', duplicates[account])} counted once")
        earned = sum(n * rule.per_kind[kind] for kind, n in counts[account].items())
        if earned > rule.cap_per_audit:
            why.append(f"capped at {rule.cap_per_audit}")
        if minted := min(earned, rule.cap_per_audit):
            mints[account] = minted
        reasons[account] = tuple(why)
    after = {a: before[a] - burns.get(a, 0) + mints.get(a, 0) for a in accounts}
    return Settlement(before=before, burns=burns, mints=mints, after=after, reasons=reasons)


def check_settlement(rule: Rule, settlement: Settlement,
                     contributions: Sequence[Contribution] | None = None, *,
                     exempt: Collection[str] = ()) -> list[str]:
    """The problems in a settlement, re-derived from the rule (empty: it may be proposed).

    Decay is fully determined by ``before``, so every burn is recomputed; mints are held to
    the cap and to the accounts with a recorded reason; ``after`` must add up. Given the
    contributions (and the exempt accounts), the mints are recomputed too, which is what
    catches a mint to an account that did nothing, however its reason reads.
    """
    problems: list[str] = []
    before, burns, mints, after = (settlement.before, settlement.burns, settlement.mints,
                                   settlement.after)
    for name, amounts in (("burns", burns), ("mints", mints), ("after", after)):
        for account in sorted(set(amounts) - set(before)):
            problems.append(f"{name} names {account}, who is not in before")
    for name, amounts in (("before", before), ("burns", burns), ("mints", mints)):
        for account, amount in sorted(amounts.items()):
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                problems.append(f"{name} of {account} is {amount!r}, not whole points ≥ 0")
    if problems:
        return problems  # the arithmetic below would only repeat these
    for account, balance in sorted(before.items()):
        burn, expected = burns.get(account, 0), rule.burn(balance)
        if balance - burn < min(balance, rule.decay_floor):
            problems.append(f"the burn of {burn} takes {account} from {balance} below the "
                            f"floor of {rule.decay_floor}")
        elif burn != expected:
            problems.append(f"the burn of {burn} from {account} should be {expected}")
        minted = mints.get(account, 0)
        if minted > rule.cap_per_audit:
            problems.append(f"the mint of {minted} to {account} is over the cap of "
                            f"{rule.cap_per_audit}")
        if minted and not settlement.reasons.get(account):
            problems.append(f"the mint of {minted} to {account}, who has no contribution")
        if account not in after:
            problems.append(f"after leaves out {account}")
        elif after[account] != balance - burn + minted:
            problems.append(f"after gives {account} {after[account]}, not "
                            f"{balance} - {burn} + {minted} = {balance - burn + minted}")
    if contributions is not None:
        fresh = settle(rule, before, contributions, exempt=exempt)
        for account in sorted(set(fresh.mints) | set(mints)):
            got, want = mints.get(account, 0), fresh.mints.get(account, 0)
            if got != want and account not in fresh.reasons:
                problems.append(f"the mint of {got} to {account}, who has no contribution")
            elif got != want:
                problems.append(f"the mint of {got} to {account} should be {want} "
                                f"({'; '.join(fresh.reasons[account])})")
    return list(dict.fromkeys(problems))  # one line per problem, in the order found
