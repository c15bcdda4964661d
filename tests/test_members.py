"""Members review and curate, and the audit turns their reviews into prompt rewrites: the loop
end to end with the scripted cast at the model seam, through the CLI a member uses (the two
central tests also on a real anvil)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import keccak

from atelier.agents.prompt_file import load_prompt
from atelier.governance.accounts import dev_signer
from atelier.governance.member_messages import CurationVote, Review, StudioDomain, digest, sign
from atelier.testing.cast import respond
from atelier.testing.editor_cast import invalid_editor_answer
from atelier.testing.models import scripted_provider
from atelier.workflows.audit import run_key
from atelier.workflows.community import Refusal, submit_curation_vote, submit_review
from atelier.workflows.runner import Runner

from cli_helpers import atelier
from workflow_helpers import governed_studio, pass_proposal, studio_at, with_provider

CURATION = '\n[curation]\nvariants = 3\nwindow = "1h"\n'


def ok(config: Path, *args: str) -> str:
    result = atelier(config, *args)
    assert result.code == 0, result.out + result.err
    return result.out


def refused(config: Path, *args: str) -> str:
    result = atelier(config, *args)
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    return result.err


def review_rows(config: Path) -> list[dict]:
    return json.loads(ok(config, "reviews", "list", "--json"))


def audit_of(config: Path, index: int) -> dict:
    audits = json.loads(ok(config, "audit", "list", "--json"))
    found = [a for a in audits if a["index"] == index]
    assert found, audits
    return json.loads(ok(config, "audit", "show", str(found[-1]["id"]), "--json"))


@pytest.fixture
def after_episode_one(tmp_path: Path) -> Path:
    """A run of three episodes (an audit after each) paused at audit 1 (proposal 2)."""
    config = governed_studio(tmp_path, episodes=3, audit_every=1)
    ok(config, "run", "start")
    return config


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain_section(request: pytest.FixtureRequest) -> Iterator[str]:
    """The [chain] of a studio: the embedded EVM, or a real anvil for the test's length."""
    if request.param == "embedded":
        yield ""
        return
    from atelier.governance.chain.anvil import running_anvil

    with running_anvil() as url:
        yield f'\n[chain]\nkind = "rpc"\nrpc_url = "{url}"\n'


def low_scriptwriter_reviews(config: Path) -> None:
    ok(config, "review", "1", "--as", "alice", "--scriptwriter", "2", "--designer", "4",
       "--layout", "4", "--comment", "The dialogue is flat: the story needs more talk.")
    ok(config, "review", "1", "--as", "bob", "--scriptwriter", "1", "--designer", "5",
       "--layout", "4")


# -- the loop ---------------------------------------------------------------------------------
def test_low_ratings_become_an_editor_rewrite_that_members_approve_and_the_next_episode_uses(
        tmp_path: Path, chain_section: str) -> None:
    config = governed_studio(tmp_path, episodes=3, audit_every=1, extra_config=chain_section)
    ok(config, "run", "start")
    working = config.parent / "prompts" / "scriptwriter.prompty"
    founding = load_prompt(working).hash_hex
    low_scriptwriter_reviews(config)
    rows = review_rows(config)
    assert [(r["member"], r["scriptwriter"], r["valid"], r["weight"]) for r in rows] == [
        ("alice", 2, True, 100), ("bob", 1, True, 100)]
    # The reader shows the ratings and the comment on the episode's page.
    page = (config.parent / ".atelier" / "assets" / "run-1" / "episode-01" / "index.html")
    assert "The dialogue is flat: the story needs more talk." in page.read_text()

    pass_proposal(config, 2)
    ok(config, "run", "resume", "1")  # episode 2, then audit 2 reads the reviews
    audit = audit_of(config, 2)
    report = audit["report_markdown"]
    drafted = audit["proposed_prompts"]
    assert set(drafted) == {"scriptwriter"} and drafted["scriptwriter"] != founding
    assert "| scriptwriter | 1.50 | 2 |" in report
    assert "The dialogue is flat: the story needs more talk." in report
    assert "drafted by the editor agent from the members' reviews" in report
    # The proposal carries the diff and the full text of the rewrite (what `audit show` shows).
    assert "+Give every speaking character one short line of dialogue." in report
    shown = ok(config, "audit", "show", str(audit["id"]))
    assert "Give every speaking character one short line of dialogue." in shown

    pass_proposal(config, 3)
    ok(config, "run", "resume", "1")  # episode 3 runs on the members' approved rewrite
    store = studio_at(config).open_store()
    episodes = store.episodes(1)
    assert [e.prompt_hashes["scriptwriter"] for e in episodes] == [
        founding, founding, drafted["scriptwriter"]]
    assert {c.prompt_hash for c in store.calls(1)
            if c.agent == "scriptwriter" and c.episode == 3} == {drafted["scriptwriter"]}
    # The working file caught up with the approval, so audit 3 does not offer to undo it;
    # no new reviews came in, so the editor drafts nothing either.
    assert load_prompt(working).hash_hex == drafted["scriptwriter"]
    assert audit_of(config, 3)["proposed_prompts"] == {}


def test_an_invalid_editor_draft_is_dropped_with_a_note_and_nothing_is_proposed(
        after_episode_one: Path) -> None:
    config = after_episode_one
    low_scriptwriter_reviews(config)
    pass_proposal(config, 2)
    with scripted_provider("bad-editor", lambda m: invalid_editor_answer(m) or respond(m)):
        studio = with_provider(studio_at(config), "bad-editor")
        outcome = Runner(studio, studio.open_store()).resume(1)
    assert outcome.status == "paused"
    audit = audit_of(config, 2)
    assert audit["proposed_prompts"] == {}
    assert "the editor's draft for scriptwriter was dropped" in audit["report_markdown"]
    assert "{{ secret }}" not in audit["report_markdown"].split("## Prompt rewrites")[1]


def test_a_persons_draft_wins_over_the_editors_for_the_same_agent(
        after_episode_one: Path) -> None:
    config = after_episode_one
    low_scriptwriter_reviews(config)
    pass_proposal(config, 2)
    working = config.parent / "prompts" / "scriptwriter.prompty"
    before = working.read_text()
    edited = re.sub(r"temperature: [0-9.]+", "temperature: 0.45", before, count=1)
    assert edited != before
    working.write_text(edited)
    ok(config, "run", "resume", "1")
    audit = audit_of(config, 2)
    assert audit["proposed_prompts"] == {"scriptwriter": load_prompt(working).hash_hex}
    report = audit["report_markdown"]
    assert "drafted by a person (the working prompt file)" in report
    assert "the editor left the scriptwriter prompt alone" in report


# -- reviews: refusals and what the store keeps -------------------------------------------------
def test_reviews_are_refused_clearly_and_nothing_is_stored(after_episode_one: Path) -> None:
    config = after_episode_one
    rate = ["--scriptwriter", "3", "--designer", "3", "--layout", "3"]
    assert "no run has published episode 2" in refused(config, "review", "2", "--as", "alice",
                                                        *rate)
    assert "held no reputation when episode 1 was published" in refused(
        config, "review", "1", "--as", "mallory", *rate)
    assert "less than or equal to 5" in refused(config, "review", "1", "--as", "alice",
                                                "--scriptwriter", "6", "--designer", "3",
                                                "--layout", "3")
    assert "no run 9" in atelier(config, "review", "1", "--run", "9", "--as", "alice",
                                 *rate).err
    assert review_rows(config) == []


def test_a_newer_review_replaces_the_older_and_an_older_one_is_refused(
        after_episode_one: Path) -> None:
    config = after_episode_one
    ok(config, "review", "1", "--as", "alice", "--scriptwriter", "2", "--designer", "2",
       "--layout", "2", "--comment", "first")
    first = review_rows(config)[0]
    studio = studio_at(config)
    store = studio.open_store()
    run = store.run(1)
    domain = studio.signing_domain()
    newer = Review(reviewer=dev_signer("alice").address, run=run_key(run), episode=1,
                   scriptwriter=5, designer=4, layout=3, comment="second",
                   signed_at=first["signed_at"] + 10)
    submit_review(studio, store, run, newer, sign(newer, dev_signer("alice"), domain))
    older = Review(**{**newer.__dict__, "signed_at": first["signed_at"] - 10, "comment": "old"})
    with pytest.raises(Refusal, match="signed at the same time or later"):
        submit_review(studio, store, run, older, sign(older, dev_signer("alice"), domain))
    rows = review_rows(config)
    assert [(r["comment"], r["scriptwriter"]) for r in rows] == [("second", 5)]


def test_forged_replayed_and_wrong_chain_reviews_are_refused(after_episode_one: Path) -> None:
    config = after_episode_one
    studio = studio_at(config)
    store = studio.open_store()
    run = store.run(1)
    domain = studio.signing_domain()
    alice, bob = dev_signer("alice"), dev_signer("bob")
    review = Review(reviewer=alice.address, run=run_key(run), episode=1, scriptwriter=1,
                    designer=1, layout=1, comment="", signed_at=1_900_000_000)
    with pytest.raises(Refusal, match=f"claims reviewer {alice.address} but its signature is "
                       f"from {bob.address}"):
        submit_review(studio, store, run, review, sign(review, bob, domain))  # forged
    other_chain = StudioDomain(chain_id=domain.chain_id + 1, registry=domain.registry)
    with pytest.raises(Refusal):
        submit_review(studio, store, run, review, sign(review, alice, other_chain))
    signed = sign(review, alice, domain)
    replayed = Review(**{**review.__dict__, "episode": 2})  # the signature is for episode 1
    with pytest.raises(Refusal):
        submit_review(studio, store, run, replayed, signed)
    assert review_rows(config) == []


def test_a_review_altered_in_the_store_is_shown_invalid_and_not_counted(
        after_episode_one: Path) -> None:
    config = after_episode_one
    low_scriptwriter_reviews(config)
    database = config.parent / ".atelier" / "studio.sqlite3"
    with sqlite3.connect(database) as conn:  # someone with file access edits a rating
        conn.execute("UPDATE reviews SET scriptwriter = 5 WHERE scriptwriter = 1")
    rows = review_rows(config)
    assert [r["valid"] for r in rows] == [True, False]
    assert "✗" in ok(config, "reviews", "list")
    pass_proposal(config, 2)
    ok(config, "run", "resume", "1")
    report = audit_of(config, 2)["report_markdown"]
    assert "| scriptwriter | 2.00 | 1 |" in report
    assert "by bob is not counted" in report



@pytest.mark.anvil
def test_a_keystore_member_reviews_without_a_plain_key_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In keystore mode (a real node: the embedded chain has dev accounts only) a review is
    signed with the key decrypted in memory from the member's encrypted key file: the key
    is in no output and no workspace file."""

    from atelier.governance.chain.anvil import running_anvil

    with running_anvil() as url:
        chain = f'\n[chain]\nkind = "rpc"\nrpc_url = "{url}"\n'
        config = governed_studio(tmp_path, episodes=1, extra_config=chain)
        ok(config, "run", "start")
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(chain, chain + 'accounts = "keystore"\n'),
                          encoding="utf-8")
        _review_from_the_keystore(config, monkeypatch)


def _review_from_the_keystore(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eth_account import Account

    bob = dev_signer("bob")  # bob's own key, imported into the studio's keystore
    keystore = config.parent / ".atelier" / "keystore"
    keystore.mkdir()
    passphrase = "correct horse battery"
    (keystore / "bob.json").write_text(json.dumps(Account.encrypt(bob.account.key, passphrase)))
    monkeypatch.setenv("ATELIER_PASSPHRASE", passphrase)
    out = ok(config, "review", "1", "--as", "bob", "--scriptwriter", "4", "--designer", "3",
             "--layout", "5", "--comment", "signed from the keystore")
    rows = review_rows(config)
    assert [(r["reviewer"].lower(), r["valid"]) for r in rows] == [(bob.address.lower(), True)]
    key = bob.account.key.hex().removeprefix("0x")
    assert key not in out
    for path in (config.parent / ".atelier").rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes().lower(), path
            assert bytes(bob.account.key) not in path.read_bytes(), path

# -- curation --------------------------------------------------------------------------------------
def curating_studio(folder: Path, chain_section: str = "") -> Path:
    """Two episodes, one audit at the end, three outline variants per episode; the run is
    paused at ballot 1 (episode 1)."""
    config = governed_studio(folder, episodes=2, audit_every=2, curation=CURATION,
                             extra_config=chain_section)
    out = ok(config, "run", "start")
    assert "waiting for curation ballot 1" in out
    return config


@pytest.fixture
def curating(tmp_path: Path) -> Path:
    return curating_studio(tmp_path)


def test_members_choose_the_outline_by_reputation_and_the_audit_carries_the_tally(
        tmp_path: Path, chain_section: str) -> None:
    config = curating_studio(tmp_path, chain_section)
    ballots = json.loads(ok(config, "curate", "list", "--json"))
    assert [(b["id"], b["episode"], len(b["variants"]), b["status"]) for b in ballots] == [
        (1, 1, 3, "open")]
    shown = ok(config, "curate", "show", "1")
    assert "Storm 1, take 2" in shown and "Storm 1, take 3" in shown
    page = config.parent / ".atelier" / "assets" / "run-1" / "episode-01" / "ballot.html"
    assert "Storm 1, take 3" in page.read_text()
    assert "curate vote 1 VARIANT" in page.read_text()

    assert "held no reputation when ballot 1 opened" in refused(
        config, "curate", "vote", "1", "2", "--as", "mallory")
    assert "variants 1 to 3, not 4" in refused(config, "curate", "vote", "1", "4", "--as",
                                               "alice")
    ok(config, "curate", "vote", "1", "3", "--as", "alice")
    ok(config, "curate", "vote", "1", "2", "--as", "alice")  # changed her mind: replaces
    ok(config, "curate", "vote", "1", "3", "--as", "bob")
    out = ok(config, "curate", "vote", "1", "2", "--as", "carol")
    assert "3 of 3 members have voted" in out and "run resume 1" in out
    # Every member voted: the ballot closes early and variant 2 (alice + carol) is made.
    out = ok(config, "run", "resume", "1")
    assert "waiting for curation ballot 2" in out
    store = studio_at(config).open_store()
    first = store.ballot(1)
    assert (first.status, first.winner, first.tally) == ("closed", 1, [0, 200, 100])
    episode_dir = config.parent / ".atelier" / "assets" / "run-1" / "episode-01"
    script = json.loads((episode_dir / "script.json").read_text())
    assert script["title"] == "Storm 1, take 2"
    assert "✓ chosen" in (episode_dir / "ballot.html").read_text()
    assert 'href="ballot.html"' in (episode_dir / "index.html").read_text()  # the reader links it
    # Anyone holding the signed votes recomputes the tally root.
    domain = studio_at(config).signing_domain()
    digests = sorted((v.voter, digest(CurationVote(
        voter=v.voter, ballot=bytes.fromhex(first.key[2:]), choice=v.choice,
        signed_at=v.signed_at), domain)) for v in store.curation_votes(1))
    assert first.tally_root == "0x" + keccak(b"".join(d for _, d in digests)).hex()

    # Ballot 2: a tie (alice 3, bob 2) and carol does not vote: it stays open until the
    # window ends, then the lower variant of the tie wins.
    ok(config, "curate", "vote", "2", "3", "--as", "alice")
    ok(config, "curate", "vote", "2", "2", "--as", "bob")
    result = atelier(config, "run", "resume", "1")
    assert result.code != 0 and "2 of 3 members voted" in result.err
    assert store.ballot(2).status == "open"
    ok(config, "chain", "advance", "2h")
    assert "window closed" in refused(config, "curate", "vote", "2", "1", "--as", "carol")
    ok(config, "run", "resume", "1")
    assert store.ballot(2).winner == 1  # variant 2
    report = audit_of(config, 1)["report_markdown"]
    assert f"ballot 1: variant 2 of 3 produced; reputation per variant 1: 0, 2: 200, 3: 100; " \
           f"3 signed votes; tally root `{first.tally_root}`" in report
    assert "ballot 2: variant 2 of 3 produced" in report


def test_a_vote_signed_for_another_ballot_or_chain_is_refused(curating: Path) -> None:
    config = curating
    studio = studio_at(config)
    store = studio.open_store()
    ballot = store.ballot(1)
    domain = studio.signing_domain()
    alice = dev_signer("alice")
    elsewhere = CurationVote(voter=alice.address, ballot=keccak(text="another ballot"),
                             choice=0, signed_at=1_900_000_000)
    with pytest.raises(Refusal, match="another ballot"):
        submit_curation_vote(studio, store, ballot, elsewhere, sign(elsewhere, alice, domain))
    here = CurationVote(voter=alice.address, ballot=bytes.fromhex(ballot.key[2:]), choice=0,
                        signed_at=1_900_000_000)
    wrong_chain = StudioDomain(chain_id=domain.chain_id + 1, registry=domain.registry)
    with pytest.raises(Refusal):
        submit_curation_vote(studio, store, ballot, here, sign(here, alice, wrong_chain))
    assert store.curation_votes(1) == []
    assert "no ballot 7" in atelier(config, "curate", "show", "7").err


def test_resuming_an_open_ballot_again_opens_no_second_ballot(curating: Path) -> None:
    config = curating
    for _ in range(2):
        result = atelier(config, "run", "resume", "1")
        assert result.code != 0 and "0 of 3 members voted" in result.err
    assert len(json.loads(ok(config, "curate", "list", "--json"))) == 1


def test_a_crash_while_a_ballot_opens_or_closes_resumes_without_a_second_ballot_or_vote(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import atelier.reader.ballot as ballot_page

    config = governed_studio(tmp_path, episodes=1, audit_every=1, curation=CURATION)
    real = ballot_page.publish_ballot
    crashes = {"left": 1}

    def crash_once(*args: object, **kwargs: object) -> object:
        if crashes["left"]:
            crashes["left"] -= 1
            raise OSError("disk full")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ballot_page, "publish_ballot", crash_once)
    with pytest.raises(OSError):  # the ballot is stored, then its page fails
        atelier(config, "run", "start")
    store = studio_at(config).open_store()
    outlines_written = sum(c.task.startswith("outline") for c in store.calls(1))
    out = ok(config, "run", "resume", "1")  # the node runs again and finds its ballot
    assert "waiting for curation ballot 1" in out
    assert sum(c.task.startswith("outline") for c in store.calls(1)) == outlines_written
    for member, choice in (("alice", "1"), ("bob", "3"), ("carol", "3")):
        ok(config, "curate", "vote", "1", choice, "--as", member)
    crashes["left"] = 1
    with pytest.raises(OSError):  # the ballot is closed, then its page fails
        atelier(config, "run", "resume", "1")
    ok(config, "run", "resume", "1")
    assert len(store.ballots(1)) == 1 and len(store.curation_votes(1)) == 3
    closed = store.ballot(1)
    assert (closed.status, closed.winner, closed.tally) == ("closed", 2, [100, 0, 200])
    assert store.run(1).status == "done"
