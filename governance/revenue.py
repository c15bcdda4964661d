"""Revenue splits by contribution: the treasury's income, paid out by shares the
contribution ledger earned under the on-chain revenue rule, through OpenZeppelin 4.9's
``PaymentSplitter`` (deployed by ``RevenueSplits`` when a split proposal executes).

An income period is every ledger entry after the last split's (``RevenueSplits.lastPeriodEnd``,
on the chain, so every reader agrees); its income is the treasury's balance when the split is
proposed (or less, if asked), in ETH and in each ERC-20 named. A payee's shares are the sum
over its entries of the rule's shares for each entry's kind, so anyone can recompute them from
the ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from eth_utils import to_checksum_address

from atelier.governance.artifacts import abi
from atelier.governance.proposals import Action
from atelier.governance.tx import transact
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO

#: The rule's fields, in the struct's order, and the ledger kind each prices.
RULE_KINDS: tuple[str, ...] = ("prompt_rewrite", "review", "curation_vote", "audit_proposal",
                               "operator_work")
WEI_PER_ETH = 10**18


def eth(wei: int) -> str:
    """``wei`` in ETH, exactly (no float rounding: voters compare these to the wei)."""
    return f"{Decimal(wei) / WEI_PER_ETH:f}".rstrip("0").rstrip(".") or "0"


class RevenueRefused(AtelierError):
    """A split or a claim that cannot happen; nothing was sent."""

    exit_code = 2


class Entry(Protocol):
    """A contribution ledger entry (``store.models.Contribution`` has these)."""

    id: int | None
    account: str
    kind: str


@dataclass(frozen=True)
class Payee:
    account: str
    shares: int
    #: kind -> how many entries of that kind, the "why" of the shares.
    counts: dict[str, int]


@dataclass(frozen=True)
class SplitPlan:
    """An income period and how it would be paid out."""

    first_entry: int  # the period's first ledger entry (exclusive bound + 1)
    period_end: int  # its last ledger entry (0: the ledger holds none)
    income: int  # wei
    rule: dict[str, int]  # kind -> shares per entry
    payees: tuple[Payee, ...] = field(default=())
    #: ERC-20 income: token address -> amount (its smallest unit).
    tokens: dict[str, int] = field(default_factory=dict)

    @property
    def total_shares(self) -> int:
        return sum(p.shares for p in self.payees)

    def owed(self, payee: Payee, token: str | None = None) -> int:
        """What PaymentSplitter will release to ``payee`` of the ETH (or of ``token``); it
        rounds down."""
        amount = self.income if token is None else self.tokens[token]
        return amount * payee.shares // self.total_shares if self.total_shares else 0


def splits_contract(dao: StudioDAO) -> Any:
    if not dao.deployment.revenue:
        raise RevenueRefused("this studio's DAO has no revenue splits contract (it was "
                             "deployed before revenue splits existed)",
                             hint="deploy a new DAO with `atelier init` to split revenue")
    return dao.revenue  # built once a session (web3 takes ~20 ms to build one from its ABI)


def revenue_rule(dao: StudioDAO) -> dict[str, int]:
    """The rule in force on the chain: kind -> shares per entry."""
    from web3.exceptions import Web3Exception

    try:
        struct = splits_contract(dao).functions.revenueRule().call()
    except Web3Exception:  # its rule has fewer fields than ours: a RevenueSplits of old
        raise RevenueRefused(
            "this studio's revenue splits contract predates operator work in the revenue "
            "rule", hint="deploy a new DAO with `atelier init` to split revenue") from None
    return dict(zip(RULE_KINDS, (int(v) for v in struct), strict=True))


def rule_action(dao: StudioDAO, rule: dict[str, int]) -> Action:
    """A proposal action replacing the revenue rule (``RevenueSplits.setRevenueRule``);
    ``rule``: kind -> shares per entry, every kind of ``RULE_KINDS``."""
    contract = splits_contract(dao)
    struct = tuple(rule[kind] for kind in RULE_KINDS)
    calldata = bytes.fromhex(contract.encode_abi("setRevenueRule", [struct])[2:])
    return Action(contract.address, 0, calldata, dao.describe_call(contract.address, calldata))


def treasury_balance(dao: StudioDAO) -> int:
    return int(dao.chain.w3.eth.get_balance(dao.deployment.timelock))


def token_contract(dao: StudioDAO, token: str) -> Any:
    return dao.chain.w3.eth.contract(address=to_checksum_address(token),
                                     abi=abi("ERC20PresetFixedSupply"))


def plan_split(dao: StudioDAO, ledger: Sequence[Entry], *, income: int | None = None,
               tokens: Sequence[str] = ()) -> SplitPlan:
    """The next period's plan: entries after the last split, priced by the on-chain rule;
    ``income`` defaults to the treasury's whole balance, and each of ``tokens`` (ERC-20
    addresses) is split too, the treasury's whole balance of it."""
    contract = splits_contract(dao)
    last = int(contract.functions.lastPeriodEnd().call())
    rule = revenue_rule(dao)
    period = [e for e in ledger if e.id is not None and e.id > last]
    counts: dict[str, dict[str, int]] = {}
    for entry in period:
        if entry.kind in rule:
            by_kind = counts.setdefault(to_checksum_address(entry.account), {})
            by_kind[entry.kind] = by_kind.get(entry.kind, 0) + 1
    payees = tuple(
        Payee(account, sum(rule[k] * n for k, n in kinds.items()), dict(sorted(kinds.items())))
        for account, kinds in sorted(counts.items()))
    return SplitPlan(
        first_entry=last + 1,
        period_end=max((e.id or 0 for e in period), default=last),
        income=treasury_balance(dao) if income is None else income,
        rule=rule,
        tokens={to_checksum_address(t): int(token_contract(dao, t).functions.balanceOf(
            dao.deployment.timelock).call()) for t in tokens},
        # PaymentSplitter refuses a payee with no shares (a kind the rule prices at 0).
        payees=tuple(p for p in payees if p.shares > 0),
    )


def check_splittable(dao: StudioDAO, plan: SplitPlan) -> None:
    """Refuse an empty period: no income, or no contribution that earns a share."""
    if plan.income <= 0 and not any(plan.tokens.values()):
        raise RevenueRefused(
            "the treasury holds no income to split",
            hint=f"income is ETH (or an ERC-20, named with --token) sent to the treasury (the "
            f"timelock at {dao.deployment.timelock})")
    if plan.income > treasury_balance(dao):
        raise RevenueRefused(
            f"the treasury holds {eth(treasury_balance(dao))} ETH, less than the "
            f"{eth(plan.income)} ETH asked")
    if not plan.payees:
        raise RevenueRefused(
            f"no contribution earns a share since the last split (ledger entries from "
            f"{plan.first_entry}): nobody to pay",
            hint="reviews, curation votes, approved prompt rewrites and audit proposals earn "
            "shares")


def split_actions(dao: StudioDAO, plan: SplitPlan) -> tuple[list[Action], str]:
    """The proposal's actions (the timelock approves RevenueSplits for each ERC-20 income,
    then calls ``split`` with the ETH) and the address the splitter will have."""
    contract = splits_contract(dao)
    payees = [[p.account for p in plan.payees], [p.shares for p in plan.payees]]
    tokens = {t: a for t, a in plan.tokens.items() if a > 0}
    splitter = str(contract.functions.splitAddress(plan.period_end, *payees).call())
    actions = []
    for token, amount in tokens.items():
        calldata = bytes.fromhex(token_contract(dao, token).encode_abi(
            "approve", [contract.address, amount])[2:])
        actions.append(Action(token, 0, calldata, f"ERC-20 {token}.approve(RevenueSplits, "
                                                  f"{amount})"))
    calldata = bytes.fromhex(contract.encode_abi(
        "split", [plan.period_end, *payees, list(tokens), list(tokens.values())])[2:])
    summary = (f"RevenueSplits.split: pay {eth(plan.income)} ETH"
               + "".join(f" and {a} of token {t}" for t, a in tokens.items())
               + f" to {len(plan.payees)} payee(s) through the splitter {splitter}")
    return [*actions, Action(contract.address, plan.income, calldata, summary)], splitter


def describe(dao: StudioDAO, plan: SplitPlan, splitter: str) -> str:
    """The proposal's description: the shares and why, so voters can recompute them."""
    rule = ", ".join(f"{k} {v}" for k, v in plan.rule.items())
    tokens = {t: a for t, a in plan.tokens.items() if a > 0}
    lines = [f"# Revenue split: {eth(plan.income)} ETH"
             + "".join(f" + {a} of token {t}" for t, a in tokens.items())
             + f" to {len(plan.payees)} contributor(s)", "",
             f"Pays the treasury's income out by contribution: ledger entries "
             f"{plan.first_entry}..{plan.period_end}, shares per entry ({rule}). The ETH goes "
             f"to an OpenZeppelin PaymentSplitter at {splitter}, from which each payee "
             f"claims (`atelier revenue claim`).", "",
             "| payee | contributions | shares | ETH |"
             + "".join(f" {t} |" for t in tokens), "|---|---|---|---|" + "---|" * len(tokens)]
    for p in plan.payees:
        why = ", ".join(f"{n} x {k}" for k, n in p.counts.items())
        lines.append(f"| {dao.name_of(p.account)} ({p.account}) | {why} | {p.shares} | "
                     f"{eth(plan.owed(p))} |" + "".join(f" {plan.owed(p, t)} |" for t in tokens))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Due:
    splitter: str
    shares: int
    releasable: int  # wei, or the token's smallest unit
    token: str | None = None  # None: ETH


def dues(dao: StudioDAO, account: str) -> list[Due]:
    """The account's standing in every executed split (only those it is a payee of)."""
    account = to_checksum_address(account)
    found = []
    for address in splits_contract(dao).functions.splits().call():
        splitter = dao.chain.w3.eth.contract(address=address, abi=abi("PaymentSplitter"))
        shares = int(splitter.functions.shares(account).call())
        if not shares:
            continue
        # PaymentSplitter overloads `releasable` and `release`: (account) for ETH, (token,
        # account) for an ERC-20.
        releasable = splitter.get_function_by_signature("releasable(address)")
        found.append(Due(str(address), shares, int(releasable(account).call())))
        of_token = splitter.get_function_by_signature("releasable(address,address)")
        for token in splits_contract(dao).functions.splitTokens(address).call():
            found.append(Due(str(address), shares, int(of_token(token, account).call()),
                             str(token)))
    return found


def claim(dao: StudioDAO, signer: Signer) -> list[tuple[Due, TxReceipt]]:
    """Pull the signer's due from every split that owes it; refuse a non-payee and a claim
    with nothing due (before anything is sent)."""
    standing = dues(dao, signer.address)
    who = dao.name_of(signer.address)
    if not standing:
        raise RevenueRefused(f"{who} is not a payee of any revenue split",
                             hint="`atelier revenue show` lists the next split's payees")
    owed = [d for d in standing if d.releasable > 0]
    if not owed:
        raise RevenueRefused(f"{who} has nothing to claim: every split's share is paid out")
    paid = []
    for due in owed:
        splitter = dao.chain.w3.eth.contract(address=due.splitter, abi=abi("PaymentSplitter"))
        release = (splitter.get_function_by_signature("release(address)")(signer.address)
                   if due.token is None else splitter.get_function_by_signature(
                       "release(address,address)")(due.token, signer.address))
        paid.append((due, transact(dao.chain, signer, release,
                                   action=f"{who}'s claim from {due.splitter}",
                                   explain=dao.explain)))
    return paid
