"""The embedded chain's log index: the ``logs`` table of the chain file, and eth_getLogs
filter semantics (address list = any of; per topic position ``None`` = wildcard, a list =
any of; a log needs at least as many topics as the filter has positions) applied both in
SQL and to logs read straight from receipts.

A log here is a ``RawLog`` tuple: (block_number, log_index_in_block, tx_index, tx_hash,
block_hash, address, topics, data), hashes, address and topics as raw bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

RawLog = tuple[int, int, int, bytes, bytes, bytes, tuple[bytes, ...], bytes]
#: One filter position: None accepts anything, otherwise the accepted values.
Accepted = frozenset[bytes] | None

SCHEMA = (
    """CREATE TABLE logs (
        block_number INTEGER NOT NULL,
        log_index INTEGER NOT NULL,
        tx_index INTEGER NOT NULL,
        tx_hash BLOB NOT NULL,
        block_hash BLOB NOT NULL,
        address BLOB NOT NULL,
        topic0 BLOB, topic1 BLOB, topic2 BLOB, topic3 BLOB,
        data BLOB NOT NULL,
        PRIMARY KEY (block_number, log_index)
    ) WITHOUT ROWID""",
    "CREATE INDEX logs_by_address ON logs (address, block_number)",
    "CREATE INDEX logs_by_topic0 ON logs (topic0, block_number)",
)


def store(conn: sqlite3.Connection, logs: Iterable[RawLog]) -> None:
    """Add logs to the index (inside the caller's transaction)."""
    conn.executemany(
        "INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (n, li, ti, th, bh, addr, *(topics + (None,) * (4 - len(topics))), data)
            for (n, li, ti, th, bh, addr, topics, data) in logs
        ],
    )


def query(
    conn: sqlite3.Connection,
    addresses: Accepted,
    topics: Sequence[Accepted],
    from_block: int,
    to_block: int,
) -> Iterable[RawLog]:
    """Indexed logs in [from_block, to_block] that pass the filter, in chain order."""
    sql = ["SELECT * FROM logs WHERE block_number BETWEEN ? AND ?"]
    params: list[Any] = [from_block, to_block]
    if addresses is not None:
        sql.append(f"AND address IN ({','.join('?' * len(addresses))})")
        params.extend(addresses)
    for position, accepted in enumerate(topics):
        if accepted is not None:
            sql.append(f"AND topic{position} IN ({','.join('?' * len(accepted))})")
            params.extend(accepted)
    if topics:
        sql.append(f"AND topic{len(topics) - 1} IS NOT NULL")
    sql.append("ORDER BY block_number, log_index")
    for row in conn.execute(" ".join(sql), params):
        log_topics = tuple(topic for topic in row[6:10] if topic is not None)
        yield (row[0], row[1], row[2], row[3], row[4], row[5], log_topics, row[10])


def matches(log: RawLog, addresses: Accepted, topics: Sequence[Accepted]) -> bool:
    """The same filter as ``query``, for logs read from receipts."""
    log_topics = log[6]
    if addresses is not None and log[5] not in addresses:
        return False
    if len(log_topics) < len(topics):
        return False
    return all(
        accepted is None or topic in accepted
        for topic, accepted in zip(log_topics, topics, strict=False)
    )


def accepted(value: Any) -> Accepted:
    """A raw filter position (None, one bytes value, or a sequence of them) as a set."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return frozenset((value,))
    if not value or any(item is None for item in value):
        return None
    return frozenset(value)


def raw_address_filter(address: str | Sequence[str] | None) -> Any:
    from eth_utils import to_canonical_address

    if address is None:
        return None
    if isinstance(address, str):
        return to_canonical_address(address)
    return tuple(to_canonical_address(item) for item in address)


def raw_topic_filter(topics: Sequence[Any] | None) -> Any:
    """User topics (hex strings or bytes, None, or lists of them) as raw bytes."""
    if topics is None:
        return None
    return tuple(
        None
        if topic is None
        else _topic_bytes(topic)
        if isinstance(topic, (str, bytes, bytearray))
        else tuple(None if item is None else _topic_bytes(item) for item in topic)
        for topic in topics
    )


def _topic_bytes(topic: str | bytes | bytearray) -> bytes:
    value = bytes.fromhex(topic.removeprefix("0x")) if isinstance(topic, str) else bytes(topic)
    if len(value) != 32:
        raise ValueError(f"a log topic is 32 bytes, got {len(value)}: {topic!r}")
    return value


def as_log_receipts(logs: Iterable[RawLog]) -> list[dict[str, Any]]:
    """Logs as plain dicts with the fields and types of web3's eth_getLogs results (as
    ``RpcChain.get_logs`` returns them), so ``contract.events.X().process_log(log)`` decodes
    them."""
    from eth_utils import to_checksum_address
    from hexbytes import HexBytes

    checksummed: dict[bytes, str] = {}
    receipts = []
    for number, log_index, tx_index, tx_hash, block_hash, address, topics, data in logs:
        if address not in checksummed:
            checksummed[address] = to_checksum_address(address)
        receipts.append(
            {
                "address": checksummed[address],
                "topics": [HexBytes(topic) for topic in topics],
                "data": HexBytes(data),
                "blockNumber": number,
                "blockHash": HexBytes(block_hash),
                "transactionHash": HexBytes(tx_hash),
                "transactionIndex": tx_index,
                "logIndex": log_index,
                "removed": False,
            }
        )
    return receipts
