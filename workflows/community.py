"""Members' signed acts on what the studio made: reviews of episodes and votes on curation
ballots. Both arrive as EIP-712 messages (``atelier.governance.member_messages``), signed by
the member's own key (the CLI's account, or a wallet in a browser), and are checked here
before anything is stored: the signature, the fields, what they refer to, and the
reputation the member held at the moment that counts. A refusal stores nothing.

These are the functions the CLI (and later the service's web page) call; the store only
keeps one review per member and episode, one vote per member and ballot (the newer wins).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from atelier.kernel.errors import AtelierError
from atelier.workflows.context import StudioServices

if TYPE_CHECKING:
    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO
    from atelier.governance.member_messages import CurationVote, Review, StudioDomain
    from atelier.store.database import Store
    from atelier.store.models import Ballot, Run
    from atelier.store.models import CurationVote as VoteRow
    from atelier.store.models import Review as ReviewRow


class Refusal(AtelierError):
    """A member act the studio does not accept (exit code 2: nothing was stored)."""

    exit_code = 2


@dataclass(frozen=True)
class Ratings:
    scriptwriter: int
    designer: int
    layout: int


# -- reviews --------------------------------------------------------------------------------
def review_message(row: ReviewRow, run: Run) -> Review:
    from atelier.governance.member_messages import Review
    from atelier.workflows.audit import run_key

    return Review(reviewer=row.reviewer, run=run_key(run), episode=row.episode,
                  scriptwriter=row.scriptwriter, designer=row.designer, layout=row.layout,
                  comment=row.comment, signed_at=row.signed_at)


def sign_review(studio: StudioServices, store: Store, signer: Signer, run: Run, episode: int,
                ratings: Ratings, comment: str) -> ReviewRow:
    """Sign a review with ``signer``'s key and submit it."""
    from atelier.governance.member_messages import Review
    from atelier.workflows.audit import run_key

    message = Review(reviewer=signer.address, run=run_key(run), episode=episode,
                     scriptwriter=ratings.scriptwriter, designer=ratings.designer,
                     layout=ratings.layout, comment=comment,
                     signed_at=_signing_time(r.signed_at for r in store.reviews(run.id, episode)
                                             if r.reviewer == signer.address))
    with studio.session() as dao:
        signature = _sign(message, signer, dao)
        return submit_review(studio, store, run, message, signature, dao=dao)


def submit_review(studio: StudioServices, store: Store, run: Run, message: Review,
                  signature: bytes, *, dao: StudioDAO | None = None) -> ReviewRow:
    """Check a signed review and store it; raises ``Refusal`` and stores nothing when the
    signature is not the reviewer's, the episode is not published, or the reviewer held no
    reputation when it was published."""
    from atelier.governance.member_messages import InvalidMessage, verify
    from atelier.governance.members import chain_time, reputation_at, studio_domain
    from atelier.store.community import Superseded
    from atelier.store.models import Review as ReviewRow
    from atelier.workflows.audit import run_key

    if message.run != run_key(run):
        raise Refusal(f"the review is signed for another run than run {run.id}",
                      hint="sign it again for this run")
    episode = store.episode(run.id, message.episode)
    if episode is None or episode.status != "done":
        raise Refusal(f"run {run.id} has no published episode {message.episode}",
                      hint=f"`atelier run status {run.id}` shows its episodes")
    with _session(studio, dao) as dao:
        try:
            verify(message, signature, studio_domain(dao))
        except InvalidMessage as exc:
            raise Refusal(exc.message, hint=exc.hint) from None
        published = episode.published_chain_time
        moment = published if published is not None else chain_time(dao)
        weight = reputation_at(dao, message.reviewer, moment)
        who = dao.name_of(message.reviewer)
    if weight == 0:
        raise Refusal(f"{who} held no reputation when episode {message.episode} was published",
                      hint="reviews count from members who held reputation at publication")
    row = ReviewRow(run_id=run.id, episode=message.episode, reviewer=message.reviewer,
                    scriptwriter=message.scriptwriter, designer=message.designer,
                    layout=message.layout, comment=message.comment,
                    signed_at=message.signed_at, signature="0x" + signature.hex(),
                    weight=weight)
    try:
        stored = store.put_review(row)
    except Superseded as exc:
        raise Refusal(exc.message, hint=exc.hint) from None
    from atelier.workflows.ledger import record_review

    record_review(store, stored)
    from atelier.reader import publish_reader

    publish_reader(store, studio.assets_dir, run.id)  # the episode page shows the ratings
    return stored


def review_is_valid(studio: StudioServices, store: Store, row: ReviewRow, *,
                    domain: StudioDomain | None = None) -> str | None:
    """Why a stored review does not check out (None: its signature is the reviewer's).
    ``domain``: the studio's signing domain, when the caller checks many."""
    from atelier.governance.member_messages import InvalidMessage, verify

    run = store.run(row.run_id)
    try:
        verify(review_message(row, run), bytes.fromhex(row.signature.removeprefix("0x")),
               domain or studio.signing_domain())
    except (InvalidMessage, ValueError) as exc:
        return getattr(exc, "message", str(exc))
    return None


# -- curation votes --------------------------------------------------------------------------
def sign_curation_vote(studio: StudioServices, store: Store, signer: Signer, ballot: Ballot,
                       choice: int) -> VoteRow:
    """Sign a vote for variant ``choice`` (0-based) with ``signer``'s key and submit it."""
    from atelier.governance.member_messages import CurationVote

    _check_choice(ballot, choice)
    message = CurationVote(voter=signer.address,
                           ballot=bytes.fromhex(ballot.key.removeprefix("0x")),
                           choice=choice,
                           signed_at=_signing_time(v.signed_at
                                                   for v in store.curation_votes(ballot.id or 0)
                                                   if v.voter == signer.address))
    with studio.session() as dao:
        signature = _sign(message, signer, dao)
        return submit_curation_vote(studio, store, ballot, message, signature, dao=dao)


def submit_curation_vote(studio: StudioServices, store: Store, ballot: Ballot,
                         message: CurationVote, signature: bytes, *,
                         dao: StudioDAO | None = None) -> VoteRow:
    """Check a signed vote and store it; ``Refusal`` (nothing stored) for a closed ballot or
    window, a vote signed for another ballot, a bad signature, or no reputation at the
    ballot's snapshot."""
    from atelier.governance.member_messages import InvalidMessage, verify
    from atelier.governance.members import studio_domain
    from atelier.kernel.durations import format_duration
    from atelier.store.community import Superseded
    from atelier.store.errors import StoreError
    from atelier.store.models import CurationVote as VoteRow

    if ballot.status != "open":
        raise Refusal(f"ballot {ballot.id} is closed: variant {(ballot.winner or 0) + 1} won",
                      hint=f"`atelier curate show {ballot.id}` shows the tally")
    if "0x" + message.ballot.hex() != ballot.key:
        raise Refusal(f"the vote is signed for another ballot than ballot {ballot.id}",
                      hint="sign it again for this ballot")
    _check_choice(ballot, message.choice)
    with _session(studio, dao) as dao:
        try:
            verify(message, signature, studio_domain(dao))
        except InvalidMessage as exc:
            raise Refusal(exc.message, hint=exc.hint) from None
        now = dao.now()
        if now >= ballot.closes_at:
            raise Refusal(
                f"ballot {ballot.id}'s window closed {format_duration(now - ballot.closes_at)} "
                "ago", hint=f"`atelier run resume {ballot.run_id}` produces the winner")
        weight = ballot.electorate.get(message.voter, 0)
        who = dao.name_of(message.voter)
    if weight == 0:
        raise Refusal(f"{who} held no reputation when ballot {ballot.id} opened",
                      hint="curation votes weigh reputation at the ballot's snapshot")
    row = VoteRow(ballot_id=ballot.id, voter=message.voter, choice=message.choice,
                  signed_at=message.signed_at, signature="0x" + signature.hex(), weight=weight)
    try:
        stored = store.put_curation_vote(row)
    except Superseded as exc:
        raise Refusal(exc.message, hint=exc.hint) from None
    except StoreError as exc:  # closed between our read and the write
        raise Refusal(exc.message, hint=exc.hint) from None
    from atelier.workflows.ledger import record_curation_vote

    record_curation_vote(store, ballot, stored)
    return stored


def _sign(message: Review | CurationVote, signer: Signer, dao: StudioDAO) -> bytes:
    """The member's signature of ``message`` in this studio's domain (a field out of range
    is a refusal)."""
    from atelier.governance.member_messages import InvalidMessage, sign
    from atelier.governance.members import studio_domain

    try:
        return sign(message, signer, studio_domain(dao))
    except InvalidMessage as exc:
        raise Refusal(exc.message, hint=exc.hint) from None


def _signing_time(earlier: Iterable[int]) -> int:
    """Now, in the seconds the message carries; later than the member's stored message, so
    that changing one's mind within a second still replaces it."""
    return max([int(time.time()), *(t + 1 for t in earlier)])


def _session(studio: StudioServices, dao: StudioDAO | None
             ) -> AbstractContextManager[StudioDAO]:
    """The caller's open DAO session, or a new one."""
    return nullcontext(dao) if dao is not None else studio.session()


def _check_choice(ballot: Ballot, choice: int) -> None:
    if not 0 <= choice < len(ballot.variants):
        raise Refusal(f"ballot {ballot.id} has variants 1 to {len(ballot.variants)}, "
                      f"not {choice + 1}", hint=f"`atelier curate show {ballot.id}` shows them")
