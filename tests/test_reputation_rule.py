"""The reputation rule: decay rounds down and stops at the floor, mints stop at the cap,
duplicates count once, exempt accounts earn nothing, and check_settlement catches a
settlement that was tampered with after it was computed."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier.governance.reputation_rule import (
    KINDS,
    Contribution,
    Rule,
    RuleError,
    Settlement,
    check_settlement,
    settle,
)
from atelier.kernel.errors import AtelierError

POINTS = {"prompt_rewrite": 20, "review": 2, "curation_vote": 1, "audit_proposal": 5}
RULE = Rule(per_kind=POINTS, cap_per_audit=25, decay_bps=1000, decay_floor=10)


def work(account: str, kind: str, n: int = 1, *, ref: str = "episode 3") -> list[Contribution]:
    """n distinct contributions (distinct evidence) of one kind."""
    return [Contribution(account, kind, ref, f"{account}-{kind}-{ref}-{i}") for i in range(n)]


# -- decay ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("balance", "burn"), [
    (100, 10),
    (105, 10),  # 10.5 rounds down
    (19, 1),  # 1.9 rounds down, and 18 is above the floor
    (11, 1),  # exactly down to the floor
    (10, 0),  # at the floor
    (9, 0),  # below it
    (0, 0),
])
def test_decay_takes_its_share_rounded_down_and_never_below_the_floor(balance: int,
                                                                      burn: int) -> None:
    s = settle(RULE, {"a": balance}, [])
    assert s.burns.get("a", 0) == burn
    assert s.after["a"] == balance - burn
    assert "a" not in s.mints


def test_a_steep_decay_stops_at_the_floor() -> None:
    rule = replace(RULE, decay_bps=5000)
    s = settle(rule, {"a": 12, "b": 40}, [])
    assert s.burns == {"a": 2, "b": 20}  # a's half would be 6; the floor leaves room for 2
    assert s.after == {"a": 10, "b": 20}
    everything = replace(RULE, decay_bps=10_000, decay_floor=0)
    assert settle(everything, {"a": 7}, []).after == {"a": 0}


def test_decay_comes_before_the_mint_so_new_work_is_not_decayed() -> None:
    s = settle(RULE, {"a": 0, "b": 50}, work("a", "prompt_rewrite") + work("b", "review"))
    assert s.after == {"a": 20, "b": 50 - 5 + 2}
    assert s.burns == {"b": 5}


def test_founders_decay_like_everyone_and_exempt_accounts_too() -> None:
    s = settle(RULE, {"founder": 100, "editor": 100}, [], exempt={"editor"})
    assert s.burns == {"editor": 10, "founder": 10}


# -- mints ---------------------------------------------------------------------------------


def test_points_per_kind_add_up_and_say_why() -> None:
    contributions = work("a", "review", 2) + work("a", "curation_vote", 3)
    s = settle(RULE, {}, contributions)
    assert s.mints == {"a": 7}
    assert s.reasons == {"a": ("2 reviews: 4", "3 curation votes: 3")}
    assert s.before == {"a": 0} and s.after == {"a": 7}


def test_earnings_stop_at_the_cap() -> None:
    contributions = work("a", "prompt_rewrite", 2) + work("a", "review")
    s = settle(RULE, {"a": 30}, contributions)
    assert s.mints == {"a": 25}
    assert s.reasons["a"] == ("2 prompt rewrites: 40", "1 review: 2", "capped at 25")
    assert s.after["a"] == 30 - 3 + 25
    exactly = settle(RULE, {}, work("b", "prompt_rewrite") + work("b", "audit_proposal"))
    assert exactly.mints == {"b": 25} and "capped at 25" not in exactly.reasons["b"]


def test_duplicates_count_once_but_distinct_evidence_counts_again() -> None:
    review = Contribution("a", "review", "episode 3", "0xsig")
    s = settle(RULE, {}, [review, review, review])
    assert s.mints == {"a": 2}
    assert s.reasons["a"] == ("1 review: 2", "2 duplicates counted once")
    # the same reviewer on the same episode with another signature is another review
    again = settle(RULE, {}, [review, replace(review, evidence="0xother")])
    assert again.mints == {"a": 4}
    # the same signature for another account is that account's own contribution
    theirs = settle(RULE, {}, [review, replace(review, account="b")])
    assert theirs.mints == {"a": 2, "b": 2}


def test_exempt_accounts_earn_nothing() -> None:
    contributions = work("editor", "prompt_rewrite", 3) + work("a", "review")
    s = settle(RULE, {"editor": 0}, contributions, exempt={"editor"})
    assert s.mints == {"a": 2}
    assert "editor" not in s.reasons
    assert s.after == {"a": 2, "editor": 0}
    assert "editor" not in settle(RULE, {}, contributions, exempt=["editor"]).after


def test_a_kind_priced_at_zero_is_recorded_but_mints_nothing() -> None:
    rule = replace(RULE, per_kind={**POINTS, "curation_vote": 0})
    s = settle(rule, {}, work("a", "curation_vote", 4))
    assert s.mints == {} and s.reasons == {"a": ("4 curation votes: 0",)}
    assert s.after == {"a": 0}


def test_the_settlement_is_deterministic_whatever_the_order() -> None:
    contributions = (work("c", "review", 3) + work("a", "prompt_rewrite")
                     + work("b", "curation_vote", 2) + work("a", "review"))
    balances = {"z": 40, "b": 11, "c": 3}
    first = settle(RULE, balances, contributions)
    shuffled = contributions[:]
    random.Random(1).shuffle(shuffled)
    second = settle(RULE, dict(reversed(balances.items())), shuffled)
    assert first == second
    for d in (first.before, first.burns, first.mints, first.after, first.reasons):
        assert list(d) == sorted(d)


# -- refusals ------------------------------------------------------------------------------


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(RuleError, match="unknown kind 'tweet'"):
        settle(RULE, {}, [Contribution("a", "tweet", "episode 3", "x")])
    assert issubclass(RuleError, ValueError) and issubclass(RuleError, AtelierError)


@pytest.mark.parametrize("balances", [{"a": -1}, {"a": 1.5}, {"a": True}])
def test_a_balance_that_is_not_whole_points_is_refused(balances: dict[str, object]) -> None:
    with pytest.raises(RuleError, match="balance of a"):
        settle(RULE, balances, [])  # type: ignore[arg-type]


def test_a_contribution_without_an_account_is_refused() -> None:
    with pytest.raises(RuleError, match="no account"):
        settle(RULE, {}, [Contribution("", "review", "episode 3", "x")])


@pytest.mark.parametrize(("change", "message"), [
    ({"per_kind": {**POINTS, "tweet": 1}}, "unknown kinds 'tweet'"),
    ({"per_kind": {k: v for k, v in POINTS.items() if k != "review"}}, "no points for review"),
    ({"per_kind": {**POINTS, "review": -2}}, "points per review"),
    ({"cap_per_audit": -1}, "cap_per_audit"),
    ({"decay_bps": 10_001}, "at most 10000"),
    ({"decay_bps": -1}, "decay_bps"),
    ({"decay_floor": 2.5}, "decay_floor"),
    ({"cap_per_audit": True}, "cap_per_audit"),
])
def test_a_rule_that_cannot_be_on_chain_is_refused(change: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(RuleError, match=message):
        replace(RULE, **change)


def test_the_rule_keeps_its_own_copy_of_the_points() -> None:
    points = dict(POINTS)
    rule = Rule(per_kind=points, cap_per_audit=25, decay_bps=1000, decay_floor=10)
    points["review"] = 1000
    assert rule.per_kind["review"] == 2
    assert pickle.loads(pickle.dumps(rule)) == rule  # it travels (checkpoints, processes)


# -- check_settlement ----------------------------------------------------------------------

CONTRIBUTIONS = work("a", "prompt_rewrite", 2) + work("b", "review", 3)
BALANCES = {"a": 100, "b": 12, "c": 5}


def honest() -> Settlement:
    return settle(RULE, BALANCES, CONTRIBUTIONS)


def test_an_honest_settlement_has_no_problems() -> None:
    s = honest()
    assert check_settlement(RULE, s) == []
    assert check_settlement(RULE, s, CONTRIBUTIONS) == []


def tampered(**changes: dict[str, object]) -> Settlement:
    """The honest settlement with some entries overwritten (after kept consistent unless
    it is overwritten too, so one problem shows at a time)."""
    s = honest()
    fields = {name: {**getattr(s, name), **changes.get(name, {})}
              for name in ("before", "burns", "mints", "after", "reasons")}
    if "after" not in changes:
        fields["after"] = {a: fields["before"][a] - fields["burns"].get(a, 0)
                           + fields["mints"].get(a, 0) for a in fields["before"]}
    return Settlement(**fields)  # type: ignore[arg-type]


def test_a_mint_over_the_cap_is_caught() -> None:
    problems = check_settlement(RULE, tampered(mints={"a": 40}))
    assert problems == ["the mint of 40 to a is over the cap of 25"]


def test_a_burn_below_the_floor_is_caught() -> None:
    problems = check_settlement(RULE, tampered(burns={"b": 5}))
    assert problems == ["the burn of 5 takes b from 12 below the floor of 10"]
    assert check_settlement(RULE, tampered(burns={"c": 1})) == [
        "the burn of 1 takes c from 5 below the floor of 10"]


def test_a_burn_the_rule_does_not_make_is_caught() -> None:
    assert check_settlement(RULE, tampered(burns={"a": 3})) == [
        "the burn of 3 from a should be 10"]


def test_a_mint_to_an_account_with_no_contribution_is_caught() -> None:
    # without the contributions, the missing reason gives it away
    assert check_settlement(RULE, tampered(mints={"c": 20})) == [
        "the mint of 20 to c, who has no contribution"]
    # a forged reason does not help once the contributions are checked
    forged = tampered(mints={"c": 20}, reasons={"c": ("1 prompt rewrite: 20",)})
    assert check_settlement(RULE, forged) == []
    assert check_settlement(RULE, forged, CONTRIBUTIONS) == [
        "the mint of 20 to c, who has no contribution"]


def test_a_mint_that_differs_from_the_contributions_is_caught() -> None:
    problems = check_settlement(RULE, tampered(mints={"b": 20}), CONTRIBUTIONS)
    assert problems == ["the mint of 20 to b should be 6 (3 reviews: 6)"]
    exempted = check_settlement(RULE, honest(), CONTRIBUTIONS, exempt={"a"})
    assert exempted == ["the mint of 25 to a, who has no contribution"]


def test_after_that_does_not_add_up_is_caught() -> None:
    assert check_settlement(RULE, tampered(after={"c": 50})) == [
        "after gives c 50, not 5 - 0 + 0 = 5"]


def test_accounts_outside_before_and_negative_amounts_are_caught() -> None:
    s = honest()
    outside = replace(s, mints={**s.mints, "mallory": 5})
    assert check_settlement(RULE, outside) == ["mints names mallory, who is not in before"]
    negative = tampered(mints={"c": -3})
    assert "mints of c is -3, not whole points ≥ 0" in check_settlement(RULE, negative)


# -- properties ----------------------------------------------------------------------------

ACCOUNTS = st.sampled_from([f"0x{i:040x}" for i in range(8)])
CONTRIBUTION = st.builds(Contribution, account=ACCOUNTS, kind=st.sampled_from(KINDS),
                         ref=st.sampled_from(["episode 1", "episode 2", "proposal 7"]),
                         evidence=st.sampled_from(["s1", "s2", "s3"]))
RULES = st.builds(Rule,
                  per_kind=st.fixed_dictionaries({k: st.integers(0, 40) for k in KINDS}),
                  cap_per_audit=st.integers(0, 60), decay_bps=st.integers(0, 10_000),
                  decay_floor=st.integers(0, 50))


@settings(max_examples=300, deadline=None)
@given(rule=RULES, balances=st.dictionaries(ACCOUNTS, st.integers(0, 10**6), max_size=8),
       contributions=st.lists(CONTRIBUTION, max_size=30),
       exempt=st.sets(ACCOUNTS, max_size=2))
def test_any_settlement_adds_up_respects_floor_and_cap_and_checks_clean(
        rule: Rule, balances: dict[str, int], contributions: list[Contribution],
        exempt: set[str]) -> None:
    s = settle(rule, balances, contributions, exempt=exempt)
    assert set(s.before) == set(s.after) >= set(s.burns) | set(s.mints)
    for account, before in s.before.items():
        assert before == balances.get(account, 0)
        burn, minted = s.burns.get(account, 0), s.mints.get(account, 0)
        assert s.after[account] == before - burn + minted
        assert before - burn >= min(before, rule.decay_floor)
        assert burn <= before * rule.decay_bps // 10_000
        assert 0 <= minted <= rule.cap_per_audit
    assert not set(s.mints) & exempt and not set(s.reasons) & exempt
    earners = {c.account for c in contributions} - exempt
    assert set(s.mints) <= earners
    assert check_settlement(rule, s, contributions, exempt=exempt) == []


def test_many_random_audits_in_a_row_stay_consistent() -> None:
    """A year of audits on a random community, seeded: what the simulation relies on."""
    rng = random.Random(7)
    balances = {f"m{i}": 100 if i < 5 else 0 for i in range(40)}
    for period in range(52):
        contributions = [Contribution(f"m{rng.randrange(40)}", rng.choice(KINDS),
                                      f"period {period}", str(rng.randrange(6)))
                         for _ in range(rng.randrange(80))]
        s = settle(RULE, balances, contributions, exempt={"m0"})
        assert check_settlement(RULE, s, contributions, exempt={"m0"}) == []
        assert sum(s.after.values()) == (sum(balances.values()) - sum(s.burns.values())
                                         + sum(s.mints.values()))
        assert all(s.after[a] >= min(b, RULE.decay_floor) for a, b in balances.items())
        balances = s.after
    assert balances["m0"] == RULE.decay_floor  # exempt: it earned nothing and decayed
