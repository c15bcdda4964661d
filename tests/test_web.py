"""The members' web page of `atelier serve`: read, vote by signature (relayed on-chain),
review and curate with signed messages a wallet made, every foreign text escaped, a strict
CSP, the token when it listens beyond loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from starlette.testclient import TestClient

from atelier.governance.accounts import dev_signer
from atelier.service.http import create_app
from atelier.service.loop import StudioService

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, studio_at

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def client_for(config: Path, token: str | None = None) -> tuple[TestClient, StudioService]:
    service = StudioService(studio_at(config), config.parent / ".atelier" / "cursor.json")
    return TestClient(create_app(service, {}, token=token, studio_name="Test Studio")), service


def wallet_sign(member: str, typed: dict) -> str:
    """What a browser wallet does with eth_signTypedData_v4: sign the JSON it was handed."""
    key = dev_signer(member).account.key
    return "0x" + bytes(Account.sign_typed_data(key, full_message=typed).signature).hex()


@pytest.fixture
def studio(tmp_path: Path) -> Path:
    """Run 1 made episode 1 and waits on audit proposal 2 (voting open); a goal proposal
    with a hostile title is open too."""
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    ok(atelier(config, "run", "start"))
    ok(atelier(config, "chain", "advance", "1m"))
    return config


def test_pages_show_proposals_runs_and_audits_with_foreign_text_escaped(studio: Path) -> None:
    ok(atelier(studio, "goal", "propose", "--title", XSS, "--brief", "b", "--episodes", "1",
               "--audit-every", "1"))
    store = studio_at(studio).open_store()
    audit = store.audits(1)[0]
    store.update_audit(audit.id, report_markdown=audit.report_markdown + f"\n\n{XSS}\n")
    client, _ = client_for(studio)
    page = client.get("/")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "/proposals/2" in page.text and "/reader/run-1/index.html" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    report = client.get(f"/audits/{audit.id}")
    assert report.status_code == 200 and "<table>" in report.text  # Markdown rendered
    assert "<img src=x" not in report.text and "&lt;img src=x" in report.text
    shown = client.get("/proposals/3")
    assert "<script>alert" not in shown.text and "&lt;script&gt;" in shown.text
    reader = client.get("/reader/run-1/index.html")
    assert reader.status_code == 200 and "script-src" not in reader.headers[
        "content-security-policy"]  # the reader runs no script at all
    missing = client.get("/proposals/99")
    assert missing.status_code == 404 and "no proposal" in missing.text
    # 404 is what does not exist (by the error's type), 400 is what was asked wrongly.
    assert client.get("/audits/99").status_code == 404
    assert client.get("/ballots/99").status_code == 404
    absent_run = client.get("/api/reviews/typed", params={"run": 99, "episode": 1})
    assert absent_run.status_code == 404 and absent_run.json()["error"] == "no run 99"
    no_wallet = client.get("/api/proposals/2/ballot", params={"voter": "nobody"})
    assert no_wallet.status_code == 400 and "connect your wallet" in no_wallet.json()["error"]


def test_a_vote_signed_in_the_wallet_is_relayed_on_chain(studio: Path) -> None:
    client, _ = client_for(studio)
    bob = dev_signer("bob").address
    typed = client.get("/api/proposals/2/ballot", params={"voter": bob, "support": "for"})
    assert typed.status_code == 200, typed.text
    assert typed.json()["primaryType"] == "Ballot"
    forged = client.post("/api/proposals/2/votes", json={
        "voter": bob, "support": "for", "signature": wallet_sign("carol", typed.json())})
    assert forged.status_code == 400 and "signature" in forged.json()["error"].lower()
    cast = client.post("/api/proposals/2/votes", json={
        "voter": bob, "support": "for", "signature": wallet_sign("bob", typed.json())})
    assert cast.status_code == 200, cast.text
    assert cast.json()["tally"]["for"] > 0
    with studio_at(studio).session() as dao:
        votes = dao.votes(dao.proposal("2"))
    assert [(dao.name_of(v.voter), v.support) for v in votes] == [("bob", "for")]
    again = client.get("/api/proposals/2/ballot", params={"voter": bob, "support": "for"})
    assert again.status_code == 400 and "already voted" in again.json()["error"]
    no_power = client.get("/api/proposals/2/ballot",
                          params={"voter": dev_signer("mallory").address, "support": "for"})
    assert "no voting power" in no_power.json()["error"]
    bad = client.post("/api/proposals/2/votes", content=b"voter=x",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 400 and "application/json" in bad.json()["error"]


def test_a_review_and_a_curation_vote_signed_in_the_wallet_are_stored(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=2, audit_every=1,
                             curation='\n[curation]\nvariants = 2\nwindow = "1h"\n')
    runner_out = atelier(config, "run", "start")  # pauses at episode 1's ballot
    ok(runner_out)
    client, _ = client_for(config)
    alice = dev_signer("alice").address
    store = studio_at(config).open_store()
    [ballot] = store.ballots(1)
    page = client.get(f"/ballots/{ballot.id}")
    assert page.status_code == 200 and "Sign a vote for variant 2" in page.text
    typed = client.get(f"/api/ballots/{ballot.id}/typed", params={"voter": alice, "choice": 1})
    voted = client.post(f"/api/ballots/{ballot.id}/votes", json={
        "message": typed.json()["message"], "signature": wallet_sign("alice", typed.json())})
    assert voted.status_code == 200, voted.text
    assert [(v.voter, v.choice) for v in store.curation_votes(ballot.id or 0)] == [(alice, 1)]
    altered = {**typed.json()["message"], "choice": 0}  # the signature was for variant 2
    refused = client.post(f"/api/ballots/{ballot.id}/votes", json={
        "message": altered, "signature": wallet_sign("alice", typed.json())})
    assert refused.status_code == 400
    for member in ("bob", "carol"):  # everyone voted: the run can go on to publish episode 1
        signed = client.get(f"/api/ballots/{ballot.id}/typed",
                            params={"voter": dev_signer(member).address, "choice": 1}).json()
        assert client.post(f"/api/ballots/{ballot.id}/votes", json={
            "message": signed["message"], "signature": wallet_sign(member, signed)}).is_success
    ok(atelier(config, "run", "resume", "1"))
    params = {"run": 1, "episode": 1, "reviewer": alice, "scriptwriter": 2, "designer": 4,
              "layout": 5, "comment": XSS}
    review = client.get("/api/reviews/typed", params=params).json()
    stored = client.post("/api/reviews", json={"runId": 1, "message": review["message"],
                                               "signature": wallet_sign("alice", review)})
    assert stored.status_code == 200, stored.text
    [row] = store.reviews(1, 1)
    assert (row.reviewer, row.scriptwriter, row.comment) == (alice, 2, XSS)
    nobody = client.get("/api/reviews/typed", params={**params, "reviewer": "0x12"})
    assert nobody.status_code == 400 and "address" in nobody.json()["error"]


def test_beyond_loopback_the_page_wants_the_token(studio: Path) -> None:
    client, _ = client_for(studio, token="s3cret-token")
    assert client.get("/").status_code == 401
    assert client.get("/healthz").status_code == 200
    entered = client.get("/?token=s3cret-token", follow_redirects=False)
    assert entered.status_code == 303 and "atelier_token" in entered.headers["set-cookie"]
    assert "httponly" in entered.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie from that visit
    assert client.get("/?token=wrong").status_code == 200  # still the cookie
    fresh, _ = client_for(studio, token="s3cret-token")
    assert fresh.get("/?token=wrong", follow_redirects=False).status_code == 401
