"""The members' side of the store: signed reviews of episodes and curation ballots with their
signed votes.

Rows keep the signed fields and the signature as they arrived, so anyone can check them
again (``atelier.governance.member_messages``); the store only enforces "one per member":
a member's newer review of an episode, or newer vote on a ballot, replaces the older one,
and an older one arriving later changes nothing.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlmodel import Session, col, select

from atelier.store.errors import MissingRecord, StoreError
from atelier.store.models import Ballot, Contribution, CurationVote, Episode, Review
from atelier.store.upsert import upsert_if


class Superseded(StoreError):
    """The member already has a newer review (or vote) here; the older one is not stored."""


class CommunityRecords:
    """Mixed into ``Store``: it provides ``_session``."""

    def _session(self, *, write: bool = False) -> AbstractContextManager[Session]:
        raise NotImplementedError  # pragma: no cover - Store's

    # -- publication time ------------------------------------------------------------------
    def set_published_chain_time(self, run_id: int, number: int, chain_time: int) -> None:
        """When episode ``number`` was published, on the chain clock (set once)."""
        with self._session(write=True) as session:
            episode = session.exec(select(Episode).where(
                Episode.run_id == run_id, Episode.number == number)).first()
            if episode is not None and episode.published_chain_time is None:
                episode.published_chain_time = chain_time
                session.add(episode)

    def episode(self, run_id: int, number: int) -> Episode | None:
        with self._session() as session:
            return session.exec(select(Episode).where(
                Episode.run_id == run_id, Episode.number == number)).first()

    # -- reviews ---------------------------------------------------------------------------
    def put_review(self, review: Review) -> Review:
        """Store a verified review; raises ``Superseded`` when the member's stored review of
        that episode was signed at the same time or later."""
        key = {"run_id": review.run_id, "episode": review.episode, "reviewer": review.reviewer}
        values = review.model_dump(exclude={"id", *key})
        with self._session(write=True) as session:
            row = upsert_if(session, Review, key, insert=values, update=values,
                            newer="signed_at")
        if row is None:
            raise Superseded(
                f"a review of episode {review.episode} signed at the same time or later by "
                "this member is already stored; it stays",
                hint="sign the review again now to replace it")
        return row

    def reviews(self, run_id: int | None = None, episode: int | None = None) -> list[Review]:
        """Reviews in episode order, then in the order they were stored."""
        query = select(Review)
        if run_id is not None:
            query = query.where(Review.run_id == run_id)
        if episode is not None:
            query = query.where(Review.episode == episode)
        order = (col(Review.run_id), col(Review.episode), col(Review.id))
        with self._session() as session:
            return list(session.exec(query.order_by(*order)))

    # -- curation ballots ------------------------------------------------------------------
    def open_ballot(self, ballot: Ballot) -> Ballot:
        """Store a new ballot, or return the one this run already has for that episode and
        kind (a node that runs again after a crash opens no second ballot)."""
        existing = self.ballot_for(ballot.run_id, ballot.episode, ballot.kind)
        if existing is not None:
            return existing
        key = {"run_id": ballot.run_id, "episode": ballot.episode, "kind": ballot.kind}
        values = ballot.model_dump(exclude={"id", *key})
        with self._session(write=True) as session:
            upsert_if(session, Ballot, key, insert=values, update={"kind": ballot.kind})
        found = self.ballot_for(ballot.run_id, ballot.episode, ballot.kind)
        assert found is not None
        return found

    def ballot_for(self, run_id: int, episode: int, kind: str = "outline") -> Ballot | None:
        with self._session() as session:
            return session.exec(select(Ballot).where(
                Ballot.run_id == run_id, Ballot.episode == episode, Ballot.kind == kind)).first()

    def ballot(self, ref: int | str) -> Ballot:
        """A ballot by its id (3 or "3")."""
        text = str(ref).strip()
        found = None
        if text.isdigit() and len(text) < 12:
            with self._session() as session:
                found = session.get(Ballot, int(text))
        if found is None:
            raise MissingRecord(f"no ballot {_short(text)}",
                             hint="`atelier curate list` shows the ballots")
        return found

    def ballots(self, run_id: int | None = None, status: str | None = None) -> list[Ballot]:
        query = select(Ballot)
        if run_id is not None:
            query = query.where(Ballot.run_id == run_id)
        if status is not None:
            query = query.where(Ballot.status == status)
        with self._session() as session:
            return list(session.exec(query.order_by(col(Ballot.id))))

    def close_ballot(self, ballot_id: int, *, winner: int, tally: list[int],
                     tally_root: str) -> Ballot:
        """Record the result (idempotent: a closed ballot keeps its first result)."""
        with self._session(write=True) as session:
            row = session.get(Ballot, ballot_id)
            if row is None:
                raise MissingRecord(f"no ballot {ballot_id}")
            if row.status != "closed":
                row.status, row.winner = "closed", winner
                row.tally, row.tally_root = list(tally), tally_root
                session.add(row)
        return row

    def put_curation_vote(self, vote: CurationVote) -> CurationVote:
        """Store a verified vote; raises ``Superseded`` like ``put_review``."""
        key = {"ballot_id": vote.ballot_id, "voter": vote.voter}
        values = vote.model_dump(exclude={"id", *key})
        with self._session(write=True) as session:
            ballot = session.get(Ballot, vote.ballot_id)
            if ballot is None or ballot.status != "open":
                raise StoreError(f"ballot {vote.ballot_id} is closed; the vote is not stored",
                                 hint="`atelier curate show` shows its result")
            row = upsert_if(session, CurationVote, key, insert=values, update=values,
                            newer="signed_at")
        if row is None:
            raise Superseded("a vote on this ballot signed at the same time or later by this "
                             "member is already stored; it stays",
                             hint="sign the vote again now to replace it")
        return row

    def curation_votes(self, ballot_id: int) -> list[CurationVote]:
        with self._session() as session:
            query = select(CurationVote).where(CurationVote.ballot_id == ballot_id)
            return list(session.exec(query.order_by(col(CurationVote.voter))))


    # -- the contribution ledger ---------------------------------------------------------
    def record_contribution(self, entry: Contribution) -> Contribution:
        """Add an entry; the same (account, kind, ref) again keeps one row (a newer review
        of an episode replaces the evidence while unsettled; a settled entry never
        changes)."""
        key = {"account": entry.account, "kind": entry.kind, "ref": entry.ref}
        values = entry.model_dump(exclude={"id", *key})
        with self._session(write=True) as session:
            existing = session.exec(select(Contribution).where(
                Contribution.account == entry.account, Contribution.kind == entry.kind,
                Contribution.ref == entry.ref)).first()
            if existing is not None and existing.settled_by is not None:
                return existing
            row = upsert_if(session, Contribution, key, insert=values,
                            update={"evidence": entry.evidence})
        assert row is not None
        return row

    def contributions(self, account: str | None = None, *, unsettled: bool = False
                      ) -> list[Contribution]:
        """Ledger entries in the order recorded, optionally one account's or the unsettled."""
        query = select(Contribution)
        if account is not None:
            query = query.where(Contribution.account == account)
        if unsettled:
            query = query.where(col(Contribution.settled_by).is_(None))
        with self._session() as session:
            return list(session.exec(query.order_by(col(Contribution.id))))

    def release_contributions(self, settled_by: str) -> int:
        """Give back the entries an audit claimed (it will not execute)."""
        with self._session(write=True) as session:
            rows = session.exec(select(Contribution).where(
                Contribution.settled_by == settled_by)).all()
            for row in rows:
                row.settled_by = None
                session.add(row)
            return len(rows)

    def settle_contributions(self, ids: list[int], proposal_id: str) -> int:
        """Mark entries as settled by an audit (only those still unsettled)."""
        with self._session(write=True) as session:
            rows = session.exec(select(Contribution).where(
                col(Contribution.id).in_(ids), col(Contribution.settled_by).is_(None))).all()
            for row in rows:
                row.settled_by = proposal_id
                session.add(row)
            return len(rows)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
