"""The members' web page, served by `atelier serve`: goals, proposals with their state and
tally, audit reports, the episodes (the static reader), and forms to vote, review and curate.

Members sign with their own wallet in the browser (EIP-1193 ``window.ethereum``,
``eth_signTypedData_v4``): the page asks the server for the typed data, the wallet signs it,
the page posts the signature back. The server relays a vote with ``castVoteBySig`` (the
operator pays the gas; the Governor checks the signature) and checks and stores reviews and
curation votes as `atelier review` and `atelier curate vote` do. No private key ever reaches
the server. Every text from a model or a member is escaped (Jinja2 autoescape; the audit
report's Markdown is rendered with raw HTML disabled), and a strict Content-Security-Policy
allows only the page's own script and style.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from atelier.kernel.errors import AtelierError, NotFound

if TYPE_CHECKING:
    from atelier.service.loop import StudioService

HERE = Path(__file__).parent
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: The static reader: its own inline styles, no scripts at all.
READER_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
              "base-uri 'none'; frame-ancestors 'none'")
_SUPPORT = {"against": 0, "for": 1, "abstain": 2}

_templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                         autoescape=select_autoescape(default=True, default_for_string=True))


def _votes(units: int, unit: int) -> str:
    """Token units as votes: whole numbers plain, fractions (quadratic counting) to 2 places."""
    votes = units / unit
    return f"{votes:,.0f}" if votes == int(votes) else f"{votes:,.2f}"


_templates.filters["votes"] = _votes


def web_routes(service: StudioService, studio_name: str) -> list[Route | Mount]:
    """The page's routes (the caller adds auth and security headers)."""
    studio = service.studio
    pages = _Pages(service, studio_name)
    return [
        Route("/", pages.index),
        Route("/proposals/{number}", pages.proposal),
        Route("/audits/{audit_id:int}", pages.audit),
        Route("/ballots/{ballot_id:int}", pages.ballot),
        Route("/api/proposals/{number}/ballot", pages.ballot_typed_data),
        Route("/api/proposals/{number}/votes", pages.relay_vote, methods=["POST"]),
        Route("/api/reviews/typed", pages.review_typed_data),
        Route("/api/reviews", pages.submit_review, methods=["POST"]),
        Route("/api/ballots/{ballot_id:int}/typed", pages.curation_typed_data),
        Route("/api/ballots/{ballot_id:int}/votes", pages.submit_curation_vote, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Mount("/reader", StaticFiles(directory=studio.assets_dir, check_dir=False,
                                     html=True), name="reader"),
    ]


class _Pages:
    def __init__(self, service: StudioService, studio_name: str) -> None:
        self.service = service
        self.studio = service.studio
        self.studio_name = studio_name

    # -- pages ------------------------------------------------------------------------------
    def index(self, _: Request) -> Response:
        store = self.service.store()
        with self.studio.session() as dao:
            goals = dao.goals()
            proposals = dao.proposals(limit=50)
            statuses = dao.statuses(proposals)
            unit = _vote_unit(dao)
        runs = store.runs()
        episodes = {run.id: [e for e in store.episodes(run.id or 0) if e.status == "done"]
                    for run in runs}
        return _page("index.html", goals=goals, statuses=statuses, runs=runs, unit=unit,
                     episodes=episodes, audits=store.audits(),
                     ballots=store.ballots(status="open"), studio_name=self.studio_name)

    def proposal(self, request: Request) -> Response:
        with self.studio.session() as dao:
            proposal = dao.proposal(request.path_params["number"])
            status = dao.status(proposal)
            votes = dao.votes(proposal)
            names = {vote.voter: dao.name_of(vote.voter) for vote in votes}
            unit = _vote_unit(dao)
        return _page("proposal.html", proposal=proposal, status=status, votes=votes,
                     names=names, unit=unit, description_html=_markdown(proposal.description),
                     studio_name=self.studio_name)

    def audit(self, request: Request) -> Response:
        audit = self.service.store().audit(request.path_params["audit_id"])
        return _page("audit.html", audit=audit, report_html=_markdown(audit.report_markdown),
                     studio_name=self.studio_name)

    def ballot(self, request: Request) -> Response:
        store = self.service.store()
        ballot = store.ballot(request.path_params["ballot_id"])
        return _page("ballot.html", ballot=ballot, votes=store.curation_votes(ballot.id or 0),
                     studio_name=self.studio_name)

    # -- signing: typed data out, signatures in -------------------------------------------------
    def ballot_typed_data(self, request: Request) -> Response:
        from atelier.governance.ballots import ballot_for

        voter, support = _address(request.query_params.get("voter")), \
            _support(request.query_params.get("support"))
        reason = (request.query_params.get("reason") or "").strip()[:500] or None
        with self.studio.session() as dao:
            proposal = dao.proposal(request.path_params["number"])
            dao.check_can_vote(voter, proposal)
            return JSONResponse(ballot_for(dao, proposal, voter, support, reason))

    async def relay_vote(self, request: Request) -> Response:
        from atelier.governance.ballots import relay_ballot

        body = await _json(request)
        voter, support = _address(body.get("voter")), _support(body.get("support"))
        reason = (str(body.get("reason") or "")).strip()[:500] or None
        signature = _signature(body.get("signature"))
        with self.studio.session() as dao:
            proposal = dao.proposal(request.path_params["number"])
            receipt = relay_ballot(dao, self.studio.operator(), proposal, voter, support,
                                   signature, reason)
            tally = dao.status(proposal).tally
            unit = _vote_unit(dao)
        return JSONResponse({"tx": "0x" + bytes(receipt["transactionHash"]).hex(),
                             "tally": {"for": tally.for_ / unit, "against": tally.against / unit,
                                       "abstain": tally.abstain / unit}})

    def review_typed_data(self, request: Request) -> Response:
        from atelier.governance.member_messages import Review, typed_data
        from atelier.workflows.audit import run_key

        query = request.query_params
        store = self.service.store()
        run = store.run(_int(query.get("run"), "run"))
        episode = _int(query.get("episode"), "episode")
        reviewer = _address(query.get("reviewer"))
        earlier = [r.signed_at for r in store.reviews(run.id, episode) if r.reviewer == reviewer]
        message = Review(reviewer=reviewer, run=run_key(run), episode=episode,
                         scriptwriter=_int(query.get("scriptwriter"), "scriptwriter"),
                         designer=_int(query.get("designer"), "designer"),
                         layout=_int(query.get("layout"), "layout"),
                         comment=(query.get("comment") or "")[:500],
                         signed_at=max([int(time.time()), *(t + 1 for t in earlier)]))
        return JSONResponse(typed_data(message, self.studio.signing_domain()))

    async def submit_review(self, request: Request) -> Response:
        from atelier.governance.member_messages import Review
        from atelier.workflows.community import submit_review

        body = await _json(request)
        fields = _message_fields(body, ("reviewer", "run", "episode", "scriptwriter",
                                        "designer", "layout", "comment", "signedAt"))
        store = self.service.store()
        run = store.run(_int(body.get("runId"), "runId"))
        message = Review(reviewer=_address(fields["reviewer"]), run=_bytes32(fields["run"]),
                         episode=_int(fields["episode"], "episode"),
                         scriptwriter=_int(fields["scriptwriter"], "scriptwriter"),
                         designer=_int(fields["designer"], "designer"),
                         layout=_int(fields["layout"], "layout"),
                         comment=str(fields["comment"]),
                         signed_at=_int(fields["signedAt"], "signedAt"))
        row = submit_review(self.studio, store, run, message, _signature(body.get("signature")))
        return JSONResponse({"review": row.id, "weight": row.weight})

    def curation_typed_data(self, request: Request) -> Response:
        from atelier.governance.member_messages import CurationVote, typed_data

        store = self.service.store()
        ballot = store.ballot(request.path_params["ballot_id"])
        voter = _address(request.query_params.get("voter"))
        earlier = [v.signed_at for v in store.curation_votes(ballot.id or 0) if v.voter == voter]
        message = CurationVote(voter=voter, ballot=bytes.fromhex(ballot.key.removeprefix("0x")),
                               choice=_int(request.query_params.get("choice"), "choice"),
                               signed_at=max([int(time.time()), *(t + 1 for t in earlier)]))
        return JSONResponse(typed_data(message, self.studio.signing_domain()))

    async def submit_curation_vote(self, request: Request) -> Response:
        from atelier.governance.member_messages import CurationVote
        from atelier.workflows.community import submit_curation_vote

        body = await _json(request)
        fields = _message_fields(body, ("voter", "ballot", "choice", "signedAt"))
        store = self.service.store()
        ballot = store.ballot(request.path_params["ballot_id"])
        message = CurationVote(voter=_address(fields["voter"]), ballot=_bytes32(fields["ballot"]),
                               choice=_int(fields["choice"], "choice"),
                               signed_at=_int(fields["signedAt"], "signedAt"))
        row = submit_curation_vote(self.studio, store, ballot, message,
                                   _signature(body.get("signature")))
        return JSONResponse({"vote": row.id, "choice": row.choice + 1})

# -- helpers ----------------------------------------------------------------------------------
class BadRequest(AtelierError):
    exit_code = 2


def _markdown(text: str) -> str:
    """Markdown as HTML with raw HTML off: any tag a model or member wrote shows as text."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def _vote_unit(dao: Any) -> int:
    """Token units of one vote in the tallies (reputation points; sqrt units if quadratic)."""
    from atelier.governance.reputation_params import vote_unit

    return vote_unit(dao.deployment.counting)


def _page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(**context),
                        status_code=status_code)


def error_response(request: Request, exc: AtelierError, studio_name: str) -> Response:
    """A refusal in words: JSON for the page's script, a small page for a person."""
    status = 404 if isinstance(exc, NotFound) else 400
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=status)
    return _page("error.html", status_code=status, error=exc, studio_name=studio_name)


async def _json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("send the signed message as application/json")
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _message_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    message = body.get("message")
    if not isinstance(message, dict) or any(name not in message for name in names):
        raise BadRequest(f"'message' must hold the signed fields {', '.join(names)}")
    return message


def _address(value: Any) -> str:
    from eth_utils import is_address, to_checksum_address

    if not isinstance(value, str) or not is_address(value):
        raise BadRequest("a 0x address of 20 bytes is needed (connect your wallet)")
    return to_checksum_address(value)


def _support(value: Any) -> int:
    if value not in _SUPPORT:
        raise BadRequest("support must be for, against or abstain")
    return _SUPPORT[value]


def _int(value: Any, name: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None
    if not 0 <= number < 2**63:
        raise BadRequest(f"{name} is out of range")
    return number


def _bytes32(value: Any) -> bytes:
    text = str(value).removeprefix("0x")
    if len(text) != 64:
        raise BadRequest("a 32-byte 0x-hex value is needed")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise BadRequest("a 32-byte 0x-hex value is needed") from None


def _signature(value: Any) -> bytes:
    text = str(value or "").removeprefix("0x")
    try:
        signature = bytes.fromhex(text)
    except ValueError:
        raise BadRequest("the signature must be 0x-hex") from None
    if len(signature) != 65:
        raise BadRequest("the signature must be 65 bytes")
    return signature
