"""The DAO's proposals, decoded from the chain once and kept in an index.

People say "proposal 7"; OpenZeppelin says a 256-bit id. The number is the position of the
proposal's ``ProposalCreated`` event since deployment, so every reader agrees on it. Finding
a proposal by number, id, id prefix or the goal it creates, or paging through them, is a
lookup here instead of a decode of every event the governor ever emitted.

The index is a cache of the chain in a SQLite file (``None``: in memory, for one session).
Each ``refresh`` decodes only the events after its cursor. The cursor's block hash is checked
first: a chain that was reset, reorganised or rolled back (an embedded-chain command that
failed is discarded whole) no longer has that block, and the index is rebuilt from the
deployment block instead of trusted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.governance.goals import GoalSpec
from atelier.governance.proposals import Action, Proposal, parse_proposal_created

if TYPE_CHECKING:
    from atelier.governance.chain.base import Chain

#: Part of the index's identity: bump it whenever the table or what a row derives from its
#: proposal (the goal hash) changes, so indexes written by older versions start over.
FORMAT = "atelier-proposal-index/1"
_BUSY_TIMEOUT_S = 30

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS proposals (
        number INTEGER PRIMARY KEY,
        id_hex TEXT NOT NULL UNIQUE,
        proposer TEXT NOT NULL,
        actions TEXT NOT NULL,
        description TEXT NOT NULL,
        vote_start INTEGER NOT NULL,
        vote_end INTEGER NOT NULL,
        block INTEGER NOT NULL,
        tx_hash TEXT NOT NULL,
        goal_hash TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS proposals_by_goal ON proposals (goal_hash)",
)
_COLUMNS = ("number, id_hex, proposer, actions, description, vote_start, vote_end, block, "
            "tx_hash")


class ProposalIndex:
    """Proposals of one governor; ``refresh(...)`` before reading in a new session."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, path: Path | None) -> ProposalIndex:
        """The index kept at ``path`` (created if absent), or one in memory. A file that is
        not a database is started over, as a cache may be; one that cannot be used now
        (locked past the timeout, read-only, unreadable) gives way to an index in memory:
        the chain is the authority, the file only saves decoding."""
        if path is None:
            return cls._connect(":memory:")
        try:
            return cls._connect(str(path))
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                return cls._connect(":memory:")
        try:
            path.unlink(missing_ok=True)
            return cls._connect(str(path))
        except (OSError, sqlite3.Error):
            return cls._connect(":memory:")


    @classmethod
    def _connect(cls, target: str) -> ProposalIndex:
        conn = sqlite3.connect(target, timeout=_BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    # -- keeping up with the chain -----------------------------------------------------------
    def refresh(self, chain: Chain, governor: Any, *, chain_id: int, from_block: int) -> int:
        """Index the ``ProposalCreated`` events of ``governor`` (a web3 contract) up to the
        chain's head; returns how many were added."""
        w3 = chain.w3
        identity = f"{FORMAT}:{chain_id}:{governor.address}"
        with self._write() as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            latest = w3.eth.get_block("latest")  # number and hash of one block, read at once
            head, head_hash = int(latest["number"]), "0x" + bytes(latest["hash"]).hex()
            cursor = int(meta["cursor"]) if "cursor" in meta else None
            if meta.get("identity") != identity or (
                cursor is not None
                and (cursor > head or _block_hash(w3, cursor) != meta.get("cursor_hash"))
            ):
                conn.execute("DELETE FROM proposals")
                conn.execute("DELETE FROM meta")
                cursor = None
            start = from_block if cursor is None else cursor + 1
            if start > head:
                return 0
            event = governor.events.ProposalCreated()
            logs = chain.get_logs(address=governor.address, topics=[event.topic],
                                  from_block=start, to_block=head)
            number = int(conn.execute("SELECT count(*) FROM proposals").fetchone()[0])
            rows = []
            for log in logs:
                number += 1
                rows.append(_row(parse_proposal_created(number, event.process_log(log))))
            conn.executemany(f"INSERT INTO proposals ({_COLUMNS}, goal_hash) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("identity", identity), ("cursor", str(head)), ("cursor_hash", head_hash),
            ])
            return len(rows)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time across processes
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- lookups ---------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM proposals").fetchone()[0])

    def by_number(self, number: int) -> Proposal | None:
        return self._one("WHERE number = ?", number)

    def by_id(self, proposal_id: int) -> Proposal | None:
        return self._one("WHERE id_hex = ?", _id_hex(proposal_id))

    def by_id_prefix(self, prefix: str, limit: int = 2) -> list[Proposal]:
        """Proposals whose 0x-hex id starts with ``prefix`` (lower case, with ``0x``)."""
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        return self._many("WHERE id_hex LIKE ? ORDER BY number LIMIT ?", pattern, limit)

    def by_goal(self, content_hash: bytes) -> Proposal | None:
        """The first proposal that carries the goal with this content hash."""
        return self._one("WHERE goal_hash = ? ORDER BY number LIMIT 1",
                         "0x" + content_hash.hex())

    def page(self, *, limit: int | None = None, offset: int = 0,
             newest_first: bool = False) -> list[Proposal]:
        order = "DESC" if newest_first else "ASC"
        return self._many(f"ORDER BY number {order} LIMIT ? OFFSET ?",
                          -1 if limit is None else limit, offset)

    def carrying(self, text: str) -> list[Proposal]:
        """Proposals whose description contains ``text``, in order."""
        return self._many("WHERE instr(description, ?) > 0 ORDER BY number", text)

    def _one(self, where: str, *params: Any) -> Proposal | None:
        found = self._many(where, *params)
        return found[0] if found else None

    def _many(self, where: str, *params: Any) -> list[Proposal]:
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM proposals {where}", params)
        return [_proposal(row) for row in rows]


def _block_hash(w3: Any, number: int) -> str:
    return "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()


def _id_hex(proposal_id: int) -> str:
    return f"{proposal_id:#x}"  # as shown to users, so a prefix they copy matches


def _row(proposal: Proposal) -> tuple[Any, ...]:
    actions = json.dumps([[a.target, str(a.value), a.calldata.hex()] for a in proposal.actions])
    spec = GoalSpec.from_description(proposal.description)
    return (proposal.number, _id_hex(proposal.id), proposal.proposer, actions,
            proposal.description, proposal.vote_start, proposal.vote_end, proposal.block,
            proposal.tx_hash, "0x" + spec.content_hash.hex() if spec else None)


def _proposal(row: tuple[Any, ...]) -> Proposal:
    number, id_hex, proposer, actions, description, vote_start, vote_end, block, tx_hash = row
    return Proposal(
        number=number, id=int(id_hex, 16), proposer=proposer,
        actions=tuple(Action(target, int(value), bytes.fromhex(calldata))
                      for target, value, calldata in json.loads(actions)),
        description=description, vote_start=vote_start, vote_end=vote_end, block=block,
        tx_hash=tx_hash,
    )
