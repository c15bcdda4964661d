"""Whale benchmark: does reputation resist capital where token voting does not?

A community of 1,000 members lives through 52 audits (a year of weekly audits), settled by
the studio's real reputation rule (``atelier.governance.reputation_rule.settle``, imported,
not copied). Power is measured three ways side by side on the same members: token-weighted
(capital, as a token governor would count it), reputation-linear and reputation-quadratic
(the square root of reputation).

    uv run python -m bench whales      # through the bench runner (prints a table, writes JSON)
    PYTHONPATH=. uv run python bench/whales.py

The community (``Community``'s defaults, seeded with ``random.Random(7)``):

- capital follows a power law, Pareto alpha = 1.16 (the 80/20 rule), and stays put, except that
- the whales, the top 1% by capital (10 members), buy 10% of the total capital each period
  between them, each in proportion to its holding; buying gives no reputation;
- contribution is independent of capital: each member has a Poisson rate of contributions
  per period drawn from a gamma distribution (shape 0.5, mean 2: most contribute a little,
  a few a lot); the whales contribute at the mean rate, like an ordinary member; a
  contribution is a curation vote (50%), a review (30%), a prompt rewrite (15%) or an audit
  proposal (5%);
- the founders, the first 20 members, start with 100 reputation each; everyone else starts
  at 0 and earns;
- the rule: 20 points a prompt rewrite, 2 a review, 1 a curation vote, 5 an audit proposal,
  at most 25 an audit, 10% decay per audit down to a floor of 10.

A second run has the whales earn at the cap every audit (their rate is 30 contributions a
period: as if they hired people to work on their accounts), to show what bounds them then.

Targets: reputation-quadratic's Nakamoto coefficient is ≥ 10 times the token-weighted one at the
end, and the whales never hold 50% alone under reputation. Buying cannot mint reputation by
construction, so the second target mostly checks the cap and decay against a whale that also
works; the figures worth reading are how concentrated each kind of power is.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from atelier.governance.reputation_rule import Contribution, Rule, settle

WEIGHTINGS = ("token", "reputation", "quadratic")
LABELS = {"token": "token-weighted (capital)", "reputation": "reputation, linear",
          "quadratic": "reputation, quadratic (√)"}
TARGET_RATIO = 10  # quadratic Nakamoto / token Nakamoto at the end
DEFAULT_RULE = Rule(per_kind={"prompt_rewrite": 20, "review": 2, "curation_vote": 1,
                              "audit_proposal": 5},
                    cap_per_audit=25, decay_bps=1000, decay_floor=10)
KIND_MIX = {"curation_vote": 0.50, "review": 0.30, "prompt_rewrite": 0.15,
            "audit_proposal": 0.05}
#: The stress run's whale rate: ~130 points a period on average, always over the cap of 25.
WHALES_AT_CAP_RATE = 30.0


@dataclass(frozen=True)
class Community:
    """Who lives in the simulation and how they behave (see the module docstring)."""

    members: int = 1000
    periods: int = 52
    seed: int = 7
    pareto_alpha: float = 1.16
    whales: int | None = None  # None: the top 1% by capital (at least one)
    whale_buy: float = 0.10  # of the total capital, bought by the whales each period
    whale_rate: float | None = None  # None: the mean rate, like an ordinary member
    mean_rate: float = 2.0  # contributions per member per period, on average
    rate_shape: float = 0.5  # gamma shape of the per-member rates (lower: more unequal)
    founders: int = 20
    founding: int = 100
    rule: Rule = field(default=DEFAULT_RULE)

    @property
    def whale_count(self) -> int:
        return self.whales if self.whales is not None else max(1, self.members // 100)


@dataclass(frozen=True)
class Snapshot:
    """The community after ``period`` audits (0: at the start)."""

    period: int
    capital: list[float]
    reputation: list[int]
    whales: tuple[int, ...]  # member indices

    def power(self, weighting: str) -> list[float]:
        if weighting == "token":
            return self.capital
        if weighting == "reputation":
            return [float(r) for r in self.reputation]
        return [math.sqrt(r) for r in self.reputation]


# -- metrics -------------------------------------------------------------------------------


def nakamoto(power: Sequence[float]) -> int:
    """The fewest members who together hold at least half of all power (0 if none has any):
    how many must collude to carry a vote."""
    total = sum(power)
    held = 0.0
    for count, p in enumerate(sorted(power, reverse=True), start=1):
        held += p
        if total and held >= total / 2:
            return count
    return 0


def gini(values: Sequence[float]) -> float:
    """The Gini coefficient over every member, zeros included: 0 when all hold alike,
    (n - 1) / n when one holds everything."""
    n, total = len(values), sum(values)
    if not n or not total:
        return 0.0
    ranked = sum(i * v for i, v in enumerate(sorted(values), start=1))
    return 2 * ranked / (n * total) - (n + 1) / n


def top_share(values: Sequence[float], fraction: float = 0.01) -> float:
    """The share of the top ``fraction`` of members (at least one member)."""
    total = sum(values)
    count = max(1, math.ceil(len(values) * fraction))
    return sum(sorted(values, reverse=True)[:count]) / total if total else 0.0


def group_share(values: Sequence[float], group: Sequence[int]) -> float:
    total = sum(values)
    return sum(values[i] for i in group) / total if total else 0.0


# -- the simulation ------------------------------------------------------------------------


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method for the usual small rates; a rounded normal past 30, where it is
    close and Knuth's method gets slow."""
    if rate <= 0:
        return 0
    if rate >= 30:
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def play(community: Community) -> Iterator[Snapshot]:
    """The community at the start and after each audit, settled with the real rule."""
    c = community
    rng = random.Random(c.seed)
    names = [f"m{i:04d}" for i in range(c.members)]
    capital = [rng.paretovariate(c.pareto_alpha) for _ in range(c.members)]
    whales = tuple(sorted(range(c.members), key=lambda i: -capital[i])[:c.whale_count])
    rates = [rng.gammavariate(c.rate_shape, c.mean_rate / c.rate_shape)
             for _ in range(c.members)]
    for i in whales:
        rates[i] = c.mean_rate if c.whale_rate is None else c.whale_rate
    balances = {name: c.founding if i < c.founders else 0 for i, name in enumerate(names)}
    kinds, weights = list(KIND_MIX), list(KIND_MIX.values())
    yield Snapshot(0, list(capital), [balances[n] for n in names], whales)
    for period in range(1, c.periods + 1):
        bought = c.whale_buy * sum(capital)
        held = sum(capital[i] for i in whales)
        for i in whales:
            capital[i] += bought * capital[i] / held
        contributions = []
        for i, name in enumerate(names):
            count = _poisson(rng, rates[i])
            for j, kind in enumerate(rng.choices(kinds, weights, k=count)):
                contributions.append(Contribution(name, kind, f"period {period}",
                                                  f"{name}/{period}/{j}"))
        balances = settle(c.rule, balances, contributions).after
        yield Snapshot(period, list(capital), [balances[n] for n in names], whales)


def _metrics(snapshot: Snapshot, weighting: str) -> dict[str, Any]:
    power = snapshot.power(weighting)
    return {"nakamoto": nakamoto(power), "top1_share": round(top_share(power), 4),
            "gini": round(gini(power), 4),
            "whale_share": round(group_share(power, snapshot.whales), 4)}


def simulate(community: Community | None = None) -> dict[str, Any]:
    """Play the community through and measure every weighting; JSON-serialisable."""
    c = community or Community()
    shares: dict[str, list[float]] = {w: [] for w in WEIGHTINGS}
    first: dict[str, int | None] = dict.fromkeys(WEIGHTINGS)
    start = end = None
    for snapshot in play(c):
        start = start or snapshot
        end = snapshot
        for w in WEIGHTINGS:
            share = group_share(snapshot.power(w), snapshot.whales)
            shares[w].append(round(share, 4))
            if share >= 0.5 and first[w] is None:
                first[w] = snapshot.period
    assert start is not None and end is not None
    config = {k: v for k, v in asdict(c).items() if k != "rule"}
    return {
        "community": {**config, "whales": c.whale_count,
                      "rule": {**dict(c.rule.per_kind), "cap_per_audit": c.rule.cap_per_audit,
                               "decay_bps": c.rule.decay_bps,
                               "decay_floor": c.rule.decay_floor}},
        "start": {w: _metrics(start, w) for w in WEIGHTINGS},
        "end": {w: _metrics(end, w) for w in WEIGHTINGS},
        "first_whale_majority": first,  # audits in (0: at the start), None: never
        "whale_share_by_period": shares,
        "members_with_reputation": sum(1 for r in end.reputation if r),
    }


def run(community: Community | None = None) -> dict[str, Any]:
    c = community or Community()
    started = time.perf_counter()
    base = simulate(c)
    stress = simulate(replace(c, whale_rate=WHALES_AT_CAP_RATE))
    token, quadratic = base["end"]["token"]["nakamoto"], base["end"]["quadratic"]["nakamoto"]
    ratio = quadratic / token if token else math.inf
    never = all(r["first_whale_majority"][w] is None
                for r in (base, stress) for w in ("reputation", "quadratic"))
    return {"name": "whales", **base,
            "whales_at_cap": {k: stress[k] for k in ("end", "first_whale_majority")},
            "nakamoto_ratio": round(ratio, 2), "target_ratio": TARGET_RATIO,
            "meets_ratio": ratio >= TARGET_RATIO, "meets_never": never,
            "elapsed_s": round(time.perf_counter() - started, 2)}


def _period(first: int | None) -> str:
    return "never" if first is None else "at the start" if first == 0 else f"audit {first}"


def table(result: dict[str, Any]) -> list[list[str]]:
    c = result["community"]
    start, end, first = result["start"], result["end"], result["first_whale_majority"]
    cap_end, cap_first = (result["whales_at_cap"]["end"],
                          result["whales_at_cap"]["first_whale_majority"])

    def row(label: str, cells: dict[str, str], target: str = "") -> list[str]:
        return [label, *(cells[w] for w in WEIGHTINGS), target]

    mark = {True: "met", False: "MISSED"}
    rows = [["", *(LABELS[w] for w in WEIGHTINGS), "target"],
            row("Nakamoto coefficient at the start", {w: str(start[w]["nakamoto"])
                                                      for w in WEIGHTINGS}),
            row("Nakamoto coefficient at the end (fewest members with ≥ 50%)",
                {w: str(end[w]["nakamoto"]) for w in WEIGHTINGS},
                f"quadratic ≥ {result['target_ratio']} times token"),
            row("top-1% share at the end", {w: f"{end[w]['top1_share']:.1%}"
                                            for w in WEIGHTINGS}),
            row("Gini at the end", {w: f"{end[w]['gini']:.3f}" for w in WEIGHTINGS}),
            row(f"whales' share at the end ({c['whales']} members, buying "
                f"{c['whale_buy']:.0%} of all capital per audit)",
                {w: f"{end[w]['whale_share']:.1%}" for w in WEIGHTINGS}),
            row("first audit the whales hold ≥ 50% alone",
                {w: _period(first[w]) for w in WEIGHTINGS}, "never under reputation"),
            row("  same, whales earning at the cap every audit: share at the end",
                {w: f"{cap_end[w]['whale_share']:.1%}" for w in WEIGHTINGS}),
            row("  same, whales earning at the cap: first audit ≥ 50% alone",
                {w: _period(cap_first[w]) for w in WEIGHTINGS},
                f"never under reputation: {mark[result['meets_never']]}"),
            ["quadratic Nakamoto / token Nakamoto", "", "", f"{result['nakamoto_ratio']}",
             f"≥ {result['target_ratio']}: {mark[result['meets_ratio']]}"],
            [f"{c['members']} members, {c['periods']} audits, seed {c['seed']}; "
             f"{result['members_with_reputation']} hold reputation at the end",
             "", "", "", f"ran in {result['elapsed_s']} s"]]
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
