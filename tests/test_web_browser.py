"""The members' page in a real headless Chromium (Debian's, driven by Selenium): a member
connects a wallet, votes by signature and the vote shows on-chain; reviews an episode; a
model's hostile text stays text. The wallet is the only double: an EIP-1193 provider
injected before the page loads, whose key stays in the test (it asks the test's signer)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from atelier.governance.accounts import dev_signer
from atelier.service.http import create_app
from atelier.service.loop import StudioService

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, studio_at

pytestmark = pytest.mark.slow

#: window.ethereum as a wallet extension provides it (EIP-1193 request()), for one account.
WALLET = """
window.ethereum = {
  isTestWallet: true,
  async request({ method, params }) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "eth_signTypedData_v4") {
      const response = await fetch("/__test_wallet/sign", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ from: params[0], typed: params[1] }) });
      return (await response.json()).signature;
    }
    throw new Error("unsupported method " + method);
  },
};
"""


def _browser() -> object:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        reason = "Chromium and chromedriver are not installed (Debian: chromium chromium-driver)"
        if os.environ.get("ATELIER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (ATELIER_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The studio's app on a loopback port, plus the test wallet's signing route."""
    import uvicorn

    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    ok(atelier(config, "run", "start"))  # episode 1 published, audit proposal 2 open
    ok(atelier(config, "chain", "advance", "1m"))
    service = StudioService(studio_at(config), tmp_path / "cursor.json")
    app = create_app(service, {}, studio_name="Browser Studio")

    async def sign(request: Request) -> JSONResponse:  # the wallet's key, never the studio's
        body = await request.json()
        import json

        member = {dev_signer(n).address.lower(): n for n in ("alice", "bob", "carol")}
        key = dev_signer(member[body["from"].lower()]).account.key
        signed = Account.sign_typed_data(key, full_message=json.loads(body["typed"]))
        return JSONResponse({"signature": "0x" + bytes(signed.signature).hex()})

    app.router.routes.insert(0, Route("/__test_wallet/sign", sign, methods=["POST"]))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", config
    finally:
        server.should_exit = True
        thread.join(10)
        service.close()


def _wait_text(browser: object, css: str, text: str, timeout: float = 30) -> str:
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = browser.find_element(By.CSS_SELECTOR, css).text  # type: ignore[attr-defined]
        if text in seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"{css} shows {seen!r}, not {text!r}")


def test_a_member_votes_and_reviews_from_the_browser(served: tuple[str, Path]) -> None:
    from selenium.webdriver.common.by import By

    url, config = served
    browser = _browser()
    try:
        bob = dev_signer("bob").address
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",  # type: ignore[attr-defined]
                                {"source": WALLET.replace("ADDRESS", repr(bob))})
        browser.get(f"{url}/proposals/2")  # type: ignore[attr-defined]
        assert "Proposal 2" in browser.title or "proposal" in browser.page_source.lower()  # type: ignore[attr-defined]
        browser.find_element(By.CSS_SELECTOR, "form.vote button").click()  # type: ignore[attr-defined]
        _wait_text(browser, "form.vote output", "vote cast on-chain")
        assert browser.find_element(By.ID, "for").text != "0"  # type: ignore[attr-defined]
        with studio_at(config).session() as dao:
            votes = dao.votes(dao.proposal("2"))
            assert [(dao.name_of(v.voter), v.support) for v in votes] == [("bob", "for")]

        browser.get(url)  # type: ignore[attr-defined]
        form = browser.find_element(By.CSS_SELECTOR, "form.review")  # type: ignore[attr-defined]
        form.find_element(By.NAME, "comment").send_keys('<img src=x onerror="document.title=1">')
        form.find_element(By.CSS_SELECTOR, "button").click()
        _wait_text(browser, "form.review output", "review stored")
        store = studio_at(config).open_store()
        [review] = store.reviews(1, 1)
        assert review.reviewer == bob and review.comment.startswith("<img")
        store.close()
        browser.get(f"{url}/reader/run-1/index.html")  # type: ignore[attr-defined]
        assert browser.title != "1"  # type: ignore[attr-defined]
        assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")  # type: ignore[attr-defined]

        store = studio_at(config).open_store()  # a model's text in the audit report
        audit = store.audits(1)[0]
        store.update_audit(audit.id, report_markdown=audit.report_markdown + "\n\n"
                           '<img src=x onerror="document.title=2"><script>document.title=3'
                           "</script>\n")
        store.close()
        browser.get(f"{url}/audits/{audit.id}")  # type: ignore[attr-defined]
        assert browser.title not in ("2", "3")  # type: ignore[attr-defined]
        assert not browser.find_elements(By.CSS_SELECTOR, "img[src='x'], article script")  # type: ignore[attr-defined]
        assert "<img src=x" in browser.find_element(By.CSS_SELECTOR, "article").text  # type: ignore[attr-defined]
    finally:
        browser.quit()  # type: ignore[attr-defined]
