"""The provenance side of the store: each published episode's anchored Merkle root, its
transaction and its leaves, so proofs can be written long after the files were made."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlmodel import Session, col, select

from atelier.store.errors import StoreError
from atelier.store.models import Asset, Episode


class ProvenanceRecords:
    """Mixed into ``Store``: it provides ``_session``."""

    def _session(self, *, write: bool = False) -> AbstractContextManager[Session]:
        raise NotImplementedError  # pragma: no cover - Store's

    def set_provenance(self, run_id: int, number: int, *, root: str, tx: str | None,
                       leaves: list[list[str]]) -> Episode:
        """Record episode ``number``'s anchored root (once: the chain holds one root per
        episode, so a second, different root is a bug, not an update)."""
        with self._session(write=True) as session:
            episode = session.exec(select(Episode).where(
                Episode.run_id == run_id, Episode.number == number)).first()
            if episode is None:
                raise StoreError(f"run {run_id} has no episode {number}")
            if episode.provenance_root not in (None, root):
                raise StoreError(
                    f"episode {number} of run {run_id} is already anchored with root "
                    f"{episode.provenance_root}, not {root}")
            episode.provenance_root = root
            episode.provenance_tx = episode.provenance_tx or tx
            episode.provenance_leaves = leaves
            session.add(episode)
            session.flush()
            session.refresh(episode)
            return episode

    def anchored_episodes(self, run_id: int) -> list[Episode]:
        with self._session() as session:
            return list(session.exec(select(Episode).where(
                Episode.run_id == run_id, col(Episode.provenance_root).is_not(None)
            ).order_by(col(Episode.number))))

    def assets_with_hash(self, sha256: str) -> list[Asset]:
        """Assets whose file had this sha256 when recorded (a copy found anywhere)."""
        with self._session() as session:
            return list(session.exec(select(Asset).where(Asset.sha256 == sha256)
                                     .order_by(col(Asset.id))))
