"""The whale benchmark: its metrics are right on hand-made distributions, and a small
community played through the real reputation rule gives consistent figures (no assertion
on the default run's targets: that is the benchmark's job, not a test's)."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from itertools import pairwise

import pytest

from atelier.governance import reputation_rule
from bench import whales
from bench.whales import Community, gini, group_share, nakamoto, play, simulate, top_share

SMALL = Community(members=200, periods=10)


@pytest.mark.parametrize(("power", "expected"), [
    ([50, 30, 20], 1),  # exactly half is enough
    ([49, 30, 21], 2),
    ([20, 49, 31], 2),  # order does not matter
    ([1] * 10, 5),
    ([1] * 11, 6),
    ([10, 0, 0], 1),
    ([0.5, 0.25, 0.25], 1),
    ([], 0),
    ([0, 0], 0),  # nobody has power: nobody carries a vote
])
def test_nakamoto_is_the_fewest_members_holding_half(power: list[float], expected: int) -> None:
    assert nakamoto(power) == expected


@pytest.mark.parametrize(("values", "expected"), [
    ([1, 1, 1, 1], 0.0),
    ([0, 0, 0, 1], 0.75),  # one holds all of four: (n - 1) / n
    ([1, 2, 3, 4], 0.25),  # mean |difference| 1.25 over twice the mean 2.5
    ([4, 3, 2, 1], 0.25),
    ([0, 0], 0.0),
    ([], 0.0),
])
def test_gini_on_known_distributions(values: list[float], expected: float) -> None:
    assert gini(values) == pytest.approx(expected)


def test_gini_agrees_with_the_mean_absolute_difference_definition() -> None:
    rng = random.Random(3)
    for _ in range(50):
        values = [rng.paretovariate(1.5) for _ in range(rng.randrange(1, 40))]
        n, mean = len(values), sum(values) / len(values)
        by_pairs = sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)
        assert gini(values) == pytest.approx(by_pairs)


def test_top_share_and_group_share() -> None:
    assert top_share([1] * 200) == pytest.approx(0.01)  # top 1% of 200 is 2 members
    assert top_share([100, *([1] * 99)]) == pytest.approx(100 / 199)
    assert top_share([3, 1]) == pytest.approx(0.75)  # at least one member
    assert top_share([0, 0]) == 0.0
    assert group_share([5, 3, 2], [1, 2]) == pytest.approx(0.5)


def test_the_poisson_draws_have_the_right_mean() -> None:
    rng = random.Random(5)
    for rate in (0.0, 0.3, 2.0, 12.0, 45.0):
        draws = [whales._poisson(rng, rate) for _ in range(4000)]
        assert min(draws) >= 0
        assert sum(draws) / len(draws) == pytest.approx(rate, abs=0.05 + 0.03 * rate)


def test_the_simulation_settles_with_the_real_rule() -> None:
    assert whales.settle is reputation_rule.settle  # imported, not a copy
    frozen = replace(SMALL, rule=replace(SMALL.rule, cap_per_audit=0, decay_bps=0))
    *_, last = play(frozen)
    assert last.reputation == [100] * 20 + [0] * 180  # nothing earned, nothing decayed
    assert nakamoto(last.power("reputation")) == 10
    decaying = replace(SMALL, periods=30, rule=replace(SMALL.rule, cap_per_audit=0))
    *_, last = play(decaying)
    assert last.reputation == [10] * 20 + [0] * 180  # founders decay down to the floor


def test_a_small_community_gives_consistent_figures() -> None:
    snapshots = list(play(SMALL))
    assert [s.period for s in snapshots] == list(range(11))
    assert len(snapshots[0].whales) == 2  # the top 1% of 200
    start, end = snapshots[0], snapshots[-1]
    assert sorted(start.whales) == sorted(sorted(range(200), key=lambda i: -start.capital[i])[:2])
    for before, after in pairwise(snapshots):
        gained = sum(after.capital) - sum(before.capital)
        assert gained == pytest.approx(0.10 * sum(before.capital))  # the whales' purchase
        assert all(after.capital[i] == before.capital[i] for i in range(200)
                   if i not in before.whales)
        assert all(a <= b + SMALL.rule.cap_per_audit
                   for a, b in zip(after.reputation, before.reputation, strict=True))
    assert end.power("quadratic") == [math.sqrt(r) for r in end.reputation]

    result = simulate(SMALL)
    json.dumps(result)  # JSON-serialisable
    for weighting in whales.WEIGHTINGS:
        power = end.power(weighting)
        assert result["end"][weighting]["nakamoto"] == nakamoto(power)
        assert result["end"][weighting]["gini"] == pytest.approx(gini(power), abs=1e-4)
        assert result["end"][weighting]["whale_share"] == pytest.approx(
            group_share(power, end.whales), abs=1e-4)
        shares = result["whale_share_by_period"][weighting]
        first = result["first_whale_majority"][weighting]
        assert first == next((p for p, s in enumerate(shares) if s >= 0.5), None)
    token = result["whale_share_by_period"]["token"]
    assert token == sorted(token)  # buying only ever raises their capital share


def test_the_run_and_its_table() -> None:
    result = whales.run(SMALL)
    json.dumps(result)
    assert result["whales_at_cap"]["end"]["token"] == result["end"]["token"]  # same capital
    rows = whales.table(result)
    assert len({len(row) for row in rows}) == 1
    assert rows[0][1:4] == [whales.LABELS[w] for w in whales.WEIGHTINGS]
