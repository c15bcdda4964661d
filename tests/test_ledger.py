"""The contribution ledger: reviews, curation votes, approved rewrites and executed audits
are recorded once each with their evidence; `atelier members list|show` reads it with the
reputation and votes on the chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_members import CURATION, ok, refused

from atelier.governance.accounts import dev_signer
from atelier.store.database import Store
from atelier.store.models import Contribution
from atelier.workflows.community import Ratings, sign_review

from cli_helpers import atelier
from workflow_helpers import governed_studio, pass_proposal, studio_at


def ledger(config: Path) -> list[tuple[str, str, str]]:
    store = studio_at(config).open_store()
    names = studio_at(config).account_names()
    return [(names.get(c.account, c.account), c.kind, c.ref) for c in store.contributions()]


def earning_reputation(store: Store) -> list[Contribution]:
    """The entries audits settle (operator work earns revenue shares only)."""
    return [c for c in store.contributions() if c.kind != "operator_work"]


def test_contributions_are_recorded_once_with_their_evidence(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    draft = config.parent / "prompts" / "layout.prompty"
    draft.write_text(draft.read_text().replace("authors: [atelier]", "authors: [atelier, carol]")
                     .replace("Most panels are normal.", "Most panels are normal; vary them."))
    ok(config, "run", "start")  # episode 1, audit 1 carries carol's layout rewrite
    for member, score in (("alice", "2"), ("bob", "4"), ("alice", "3")):  # alice changes hers
        ok(config, "review", "1", "--as", member, "--scriptwriter", score, "--designer", "4",
           "--layout", "4")
    assert ledger(config) == [("deployer", "operator_work", "run 1 episode 1"),
                              ("alice", "review", "run 1 episode 1"),
                              ("bob", "review", "run 1 episode 1")]
    store = studio_at(config).open_store()
    # The operator's work is evidenced by the episode's anchored provenance root.
    [work] = store.contributions(dev_signer("deployer").address)
    assert work.evidence == store.episode(1, 1).provenance_root
    [alice_review] = [r for r in store.reviews(1) if r.scriptwriter == 3]
    assert store.contributions(dev_signer("alice").address)[0].evidence == alice_review.signature

    pass_proposal(config, 2)
    ok(config, "run", "resume", "1")  # learns that audit 1 executed
    entries = ledger(config)
    assert ("deployer", "audit_proposal", "proposal 2") in entries  # the operator opened it
    assert ("carol", "prompt_rewrite", "proposal 2 layout") in entries  # carol wrote it
    assert not any(kind == "prompt_rewrite" and who == "atelier" for who, kind, _ in entries)
    # Operator work earns revenue shares, never reputation: no audit settles it, and the
    # second audit's settlement (opened by this resume) did not claim it.
    work = store.contributions(dev_signer("deployer").address)
    assert [(c.kind, c.settled_by) for c in work if c.kind == "operator_work"] == [
        ("operator_work", None), ("operator_work", None)]  # episodes 1 and 2
    claimed = {i for a in store.audits() for i in (a.settlement or {}).get("contributions", [])}
    assert not claimed & {c.id for c in work if c.kind == "operator_work"}
    shown = json.loads(ok(config, "members", "show", "deployer", "--json"))
    assert {c["kind"] for c in shown["contributions"]} >= {"operator_work", "audit_proposal"}
    assert "operator_work: run 1 episode 1 (revenue shares only" in ok(
        config, "members", "show", "deployer")
    before = len(entries)
    ok(config, "run", "status", "1")
    studio = studio_at(config)
    with studio.session() as dao:  # looking again records nothing twice
        from atelier.workflows.ledger import record_executed_audits

        record_executed_audits(studio, store, dao)
    assert len(ledger(config)) == before


def test_members_list_and_show_read_reputation_votes_and_contributions(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1, curation=CURATION)
    ok(config, "run", "start")  # paused at ballot 1
    ok(config, "curate", "vote", "1", "2", "--as", "bob")
    rows = {r["member"]: r for r in json.loads(ok(config, "members", "list", "--json"))}
    assert {m: (r["reputation"], r["votes_cast"]) for m, r in rows.items()} == {
        "alice": (100, 1), "bob": (100, 1), "carol": (100, 1)}  # each voted on the goal
    assert (rows["bob"]["contributions"], rows["bob"]["unsettled"]) == (1, 1)
    shown = json.loads(ok(config, "members", "show", "bob", "--ago", "1m", "--json"))
    assert shown["reputation"] == 100 and shown["reputation_then"] == 100
    assert [(v["proposal"], v["support"]) for v in shown["votes"]] == [(1, "for")]
    assert [(c["kind"], c["ref"]) for c in shown["contributions"]] == [
        ("curation_vote", "ballot 1")]
    text = ok(config, "members", "list")
    assert "alice" in text and "votes cast" in text
    assert "unknown account 'nobody'" in atelier(config, "members", "show", "nobody").err
    assert "is not a duration" in refused(config, "members", "list", "--ago", "soon")


def test_a_review_signed_in_process_is_in_the_ledger(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    ok(config, "run", "start")
    studio = studio_at(config)
    store = studio.open_store()
    sign_review(studio, store, dev_signer("carol"), store.run(1), 1, Ratings(5, 5, 5), "")
    assert ledger(config) == [("deployer", "operator_work", "run 1 episode 1"),
                              ("carol", "review", "run 1 episode 1")]


def test_two_audits_mint_what_was_earned_and_decay_and_the_chain_matches_the_reports(
        tmp_path: Path) -> None:
    from atelier.governance.members import balances

    config = governed_studio(tmp_path, episodes=3, audit_every=1)
    ok(config, "run", "start")  # audit 1 (proposal 2): nothing earned yet, decay only
    first = json.loads(ok(config, "audit", "show", "1", "--json"))
    assert first["settlement"]["mints"] == {}
    assert set(first["settlement"]["burns"].values()) == {10}  # 10% of 100 each
    assert "| alice | 100 | -10 | +0 | 90 | - |" in first["report_markdown"]
    for member in ("alice", "bob"):
        ok(config, "review", "1", "--as", member, "--scriptwriter", "4", "--designer", "4",
           "--layout", "4")
    pass_proposal(config, 2)
    studio = studio_at(config)
    names = studio.account_names()
    with studio.session() as dao:
        assert {names[a]: p for a, p in balances(dao).items()} == {
            "alice": 90, "bob": 90, "carol": 90}

    ok(config, "run", "resume", "1")  # audit 2 (proposal 3) mints for the reviews and audit 1
    second = json.loads(ok(config, "audit", "show", "2", "--json"))
    settlement = second["settlement"]
    assert {names[a]: p for a, p in settlement["mints"].items()} == {
        "alice": 2, "bob": 2, "deployer": 5}  # a review each; the operator's executed audit
    assert {names[a]: p for a, p in settlement["after"].items()} == {
        "alice": 83, "bob": 83, "carol": 81, "deployer": 5}
    assert "| alice | 90 | -9 | +2 | 83 | 1 review: 2 |" in second["report_markdown"]
    pass_proposal(config, 3)
    with studio.session() as dao:
        on_chain = balances(dao)
        assert on_chain == settlement["after"]  # the report's power table is the chain's
        assert dao.reputation(dev_signer("alice").address) == 83
    # Each contribution was settled by exactly one audit.
    store = studio.open_store()
    assert {c.settled_by for c in earning_reputation(store)} == {"audit 2"}
    ok(config, "run", "resume", "1")  # audit 3: only audit 2's proposer earns; decay again
    third = json.loads(ok(config, "audit", "show", "3", "--json"))
    assert {names[a]: p for a, p in third["settlement"]["mints"].items()} == {"deployer": 5}
    # The deployer's 5 is under the decay floor (10): decay takes nothing from it.
    assert {names[a] for a in third["settlement"]["burns"]} == {"alice", "bob", "carol"}


def test_a_defeated_audit_gives_its_contributions_back_to_the_next(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=3, audit_every=1)
    ok(config, "run", "start")
    ok(config, "review", "1", "--as", "alice", "--scriptwriter", "4", "--designer", "4",
       "--layout", "4")
    pass_proposal(config, 2)
    ok(config, "run", "resume", "1")  # audit 2 claims alice's review and audit 1's proposal
    store = studio_at(config).open_store()
    assert {c.kind: c.settled_by for c in earning_reputation(store)} == {
        "review": "audit 2", "audit_proposal": "audit 2"}
    pass_proposal(config, 3, support="against")
    resumed = atelier(config, "run", "resume", "1")
    assert resumed.code != 0 and "was defeated" in resumed.err
    assert {c.settled_by for c in earning_reputation(store)} == {None}  # given back
    ok(config, "audit", "propose", "1")  # a revised audit claims them again
    audits = json.loads(ok(config, "audit", "list", "--json"))
    assert [(a["index"], a["revision"], a["status"]) for a in audits][-2:] == [
        (2, 1, "defeated"), (2, 2, "open")]
    revised = audits[-1]
    assert {c.settled_by for c in earning_reputation(store)} == {f"audit {revised['id']}"}
    shown = json.loads(ok(config, "audit", "show", str(revised["id"]), "--json"))
    assert len(shown["settlement"]["mints"]) == 2  # alice and the deployer, once each


def test_a_crash_between_writing_and_proposing_an_audit_counts_nothing_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import atelier.workflows.audit as audit_module

    config = governed_studio(tmp_path, episodes=3, audit_every=1)
    ok(config, "run", "start")
    ok(config, "review", "1", "--as", "alice", "--scriptwriter", "4", "--designer", "4",
       "--layout", "4")
    pass_proposal(config, 2)
    real = audit_module._propose

    def crash(*args: object) -> object:
        raise OSError("killed before the proposal was sent")

    monkeypatch.setattr(audit_module, "_propose", crash)
    with pytest.raises(OSError):
        atelier(config, "run", "resume", "1")  # audit 2 is written, its claims made
    store = studio_at(config).open_store()
    written = store.latest_audit(1, 2)
    assert written is not None and written.proposal_id is None
    monkeypatch.setattr(audit_module, "_propose", real)
    ok(config, "run", "resume", "1")
    audit = store.latest_audit(1, 2)
    assert audit is not None and audit.proposal_number == 3
    assert audit.settlement == written.settlement  # the same settlement, proposed once
    with studio_at(config).session() as dao:
        assert dao.proposal_count() == 3
    assert {c.settled_by for c in earning_reputation(store)} == {f"audit {audit.id}"}


def test_two_audits_over_the_same_period_count_a_contribution_once(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    ok(config, "run", "start")  # run 1 pauses at its audit 1 (proposal 2)
    ok(config, "review", "1", "--run", "1", "--as", "bob", "--scriptwriter", "4",
       "--designer", "4", "--layout", "4")
    ok(config, "run", "start")  # run 2's audit 1 (proposal 3) settles bob's review
    store = studio_at(config).open_store()
    claimed = store.latest_audit(2, 1)
    assert claimed is not None
    bob = dev_signer("bob").address
    assert claimed.settlement["mints"] == {bob: 2}
    pass_proposal(config, 2)
    ok(config, "run", "resume", "1")  # run 1's audit 2 (final): bob's review is not in it
    final = store.latest_audit(1, 2)
    assert final is not None and bob not in final.settlement["mints"]
    assert [c.settled_by for c in store.contributions(bob)] == [f"audit {claimed.id}"]


def test_a_wrong_mint_list_is_refused_before_anything_is_proposed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import atelier.governance.reputation_rule as rule_module

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    real = rule_module.settle

    def over_the_cap(*args: object, **kwargs: object) -> rule_module.Settlement:
        honest = real(*args, **kwargs)  # type: ignore[arg-type]
        alice = dev_signer("alice").address
        return dataclasses.replace(honest, mints={**honest.mints, alice: 1000},
                                   after={**honest.after, alice: honest.after[alice] + 1000})

    monkeypatch.setattr(rule_module, "settle", over_the_cap)
    result = atelier(config, "run", "start")
    assert result.code == 1
    assert "the audit's reputation settlement is refused" in result.err
    assert "Traceback" not in result.err
    with studio_at(config).session() as dao:
        assert dao.proposal_count() == 1  # only the goal's: no audit proposal
    assert studio_at(config).open_store().audits() == []
