"""The embedded chain: an in-process EVM (py-evm through eth-tester and web3.py) kept in one
SQLite file in the workspace, so every CLI process continues the same chain.

One command is one transaction on the file: everything the EVM writes is buffered in memory
and stored in one SQLite transaction by ``close()`` (or ``flush()``); an exception inside
``with EmbeddedChain.open(path) as chain:`` stores nothing. A file lock at ``<path>.lock``
serialises processes. The file holds three tables:

- ``kv``: py-evm's key-value database (headers, canonical index, blocks, receipts, trie
  nodes, code);
- ``meta``: the fixed chain identity (format, chain id, VM schedule) checked on open, and the
  chain clock's offset;
- ``logs``: an index of every log of the canonical chain, so ``get_logs`` is a SQL query
  instead of a scan of receipts (eth-tester's own ``eth_getLogs`` slows down quadratically).

Importing this module is cheap; py-evm, eth-tester and web3 are imported by ``open()``.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from atelier.governance.chain import logindex
from atelier.governance.chain.base import DevChain
from atelier.kernel.errors import ChainError, ChainUnavailable

if TYPE_CHECKING:
    from filelock import BaseFileLock
    from web3 import Web3

    from atelier.governance.chain.logindex import RawLog

FILE_FORMAT = "atelier-embedded-chain"
SCHEMA_VERSION = 1
DEFAULT_LOCK_TIMEOUT = 30.0

_SCHEMA = (
    "CREATE TABLE kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    *logindex.SCHEMA,
)
_RESET_HINT = "move the file aside (or delete it) to start a new embedded chain"


class EmbeddedChain(DevChain):
    """The workspace's embedded EVM chain, open for one command. Use ``open()``."""

    kind = "embedded"

    def __init__(
        self,
        *,
        path: Path,
        lock: BaseFileLock | _ReadOnlyFileSystem,
        conn: sqlite3.Connection | None,
        kv: Any,
        chain: Any,
        meta: dict[str, str],
    ) -> None:
        from atelier.governance.chain import pyevm

        self._pyevm = pyevm
        self._path = path
        self._lock = lock
        self._conn = conn  # None until a new chain is first stored
        self._kv = kv
        self._meta = meta
        self._offset = int(meta["time_offset"])
        self._indexed_through = int(meta["log_index_through"])  # -1: no logs indexed
        self._closed = False
        self._backend = pyevm.PersistedPyEVMBackend(chain, _dev_private_keys, self._clock)
        self._tester = pyevm.AtelierEthereumTester(self._backend, self._find_raw_logs)
        self._w3: Web3 | None = None
        if not self._index_is_current():
            self._indexed_through = -1

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> EmbeddedChain:
        """Open the chain stored at ``path``, creating it from genesis if the file is absent.

        Waits up to ``lock_timeout`` seconds for another process using it (then raises
        ``ChainUnavailable``); raises ``ChainError`` for a file that is not an embedded chain
        of this version and chain id.
        """
        path = Path(path)
        lock = _acquire_lock(path, lock_timeout)
        conn = None
        try:
            conn, meta = _open_file(path)
            from atelier.governance.chain import pyevm

            kv = pyevm.SQLiteKeyValueDB(conn)
            if conn is None:
                chain = _create_chain(pyevm, kv)
                meta = _new_meta(pyevm, chain)
            else:
                _check_meta(pyevm, meta, path)
                chain = _load_chain(pyevm, kv, path)
            return cls(path=path, lock=lock, conn=conn, kv=kv, chain=chain, meta=meta)
        except BaseException:
            if conn is not None:
                conn.close()
            lock.release()
            raise

    # -- the Chain interface -----------------------------------------------------------------
    @property
    def w3(self) -> Web3:
        self._ensure_open()
        if self._w3 is None:
            from web3 import Web3
            from web3.providers.eth_tester import EthereumTesterProvider
            from web3.providers.eth_tester.defaults import API_ENDPOINTS

            chain_id = self._pyevm.CHAIN_ID
            endpoints = {namespace: dict(methods) for namespace, methods in API_ENDPOINTS.items()}
            endpoints["eth"]["chainId"] = lambda _tester, _params: chain_id
            endpoints["net"]["version"] = lambda _tester, _params: str(chain_id)
            # web3's tester middleware asks for the accounts on every call (to fill in a
            # default sender) and eth-tester checksums them each time: a third of a call's
            # cost. The dev accounts never change; list them once.
            accounts = tuple(self._tester.get_accounts())
            endpoints["eth"]["accounts"] = lambda _tester, _params: accounts
            self._w3 = Web3(EthereumTesterProvider(self._tester, api_endpoints=endpoints))
        return self._w3

    def get_logs(
        self,
        *,
        address: str | Sequence[str] | None,
        topics: Sequence[Any] | None = None,
        from_block: int = 0,
        to_block: int | None = None,
    ) -> list[dict[str, Any]]:
        """Logs of the canonical chain with eth_getLogs semantics (address list = any of;
        topic ``None`` = wildcard, list = any of), as dicts shaped like web3's log receipts
        (``contract.events.X().process_log(log)`` decodes them)."""
        self._ensure_open()
        found = self._find_raw_logs(
            logindex.raw_address_filter(address),
            logindex.raw_topic_filter(topics),
            max(from_block, 0),
            self.block_number if to_block is None else to_block,
        )
        return logindex.as_log_receipts(found)

    # -- the DevChain interface --------------------------------------------------------------
    def mine(self, timestamp: int | None = None) -> int:
        """Mine an empty block and return its timestamp. An explicit ``timestamp`` must be
        after the latest block's; if it is ahead of the chain clock, the clock jumps to it."""
        self._ensure_open()
        if timestamp is not None:
            latest = self._chain.get_canonical_head().timestamp
            if timestamp <= latest:
                raise ChainError(
                    f"cannot mine a block at {timestamp}: the latest block is at {latest}",
                    hint="a new block's timestamp must be later than the latest block's",
                )
            self._offset = max(self._offset, timestamp - self._pyevm.now())
            self._backend.pin_next_timestamp(timestamp)
        self._tester.mine_blocks(1)
        mined = self._chain.get_canonical_head().timestamp
        if timestamp is not None and mined != timestamp:  # guards eth-tester's time_travel bug
            raise ChainError(f"asked for a block at {timestamp} but it was mined at {mined}")
        return mined

    def advance_time(self, seconds: int) -> int:
        """Move the chain clock forward by ``seconds`` and mine a block there: it lands
        exactly ``seconds`` after the time the next block would have had. Returns its time."""
        self._ensure_open()
        if seconds < 0:
            raise ChainError(f"cannot move the chain clock backwards ({seconds} s)")
        target = self._backend.next_timestamp() + int(seconds)
        self._offset = target - self._pyevm.now()
        return self.mine(target)

    # -- more about this chain ---------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._path

    @property
    def chain_id(self) -> int:
        return self._pyevm.CHAIN_ID

    @property
    def block_number(self) -> int:
        """The number of the latest mined block."""
        self._ensure_open()
        return self._chain.get_canonical_head().block_number

    @property
    def time_offset(self) -> int:
        """Seconds the chain clock runs ahead of the wall clock."""
        return self._offset

    def next_timestamp(self) -> int:
        """The timestamp a block mined now would get."""
        self._ensure_open()
        return self._backend.next_timestamp()

    # -- persistence -------------------------------------------------------------------------
    def flush(self) -> None:
        """Store everything done so far in one SQLite transaction (the chain stays open)."""
        self._ensure_open()
        conn = self._conn
        new_file = conn is None
        if not new_file and self._unchanged():
            return  # a read-only command leaves the file's bytes as they were
        try:
            if conn is None:
                conn = sqlite3.connect(self._path, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            try:
                if new_file:
                    for statement in _SCHEMA:
                        conn.execute(statement)
                self._kv.write_pending(conn)
                self._index_logs(conn)
                self._meta["time_offset"] = str(self._offset)
                conn.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", self._meta.items()
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            if new_file and conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise ChainError(
                    f"could not save the workspace chain to {self._path}: {exc}",
                    hint="check that the workspace folder is writable and the disk is not full",
                ) from None
            raise
        if new_file:
            self._conn = conn
            self._kv.attach(conn)
        self._kv.clear_pending()

    def _unchanged(self) -> bool:
        """Nothing to store: no key written, no block to index, the clock offset as stored."""
        return (not self._kv.has_pending and self._index_is_current()
                and self._indexed_through == self.block_number
                and self._meta.get("time_offset") == str(self._offset))

    def close(self) -> None:
        """Store this command's changes and release the chain. Safe to call twice."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._release()

    def discard(self) -> None:
        """Release the chain without storing anything since the last flush."""
        if not self._closed:
            self._release()

    def __enter__(self) -> EmbeddedChain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    # -- internals ---------------------------------------------------------------------------
    @property
    def _chain(self) -> Any:
        return self._backend.chain

    def _clock(self) -> int:
        return self._pyevm.now() + self._offset

    def _ensure_open(self) -> None:
        if self._closed:
            raise ChainError("the embedded chain is closed")

    def _release(self) -> None:
        self._closed = True
        self._kv.closed = True
        try:
            if self._conn is not None:
                self._conn.close()
        finally:
            self._lock.release()

    def _index_is_current(self) -> bool:
        """Whether the indexed blocks are still canonical (only snapshots can undo blocks)."""
        through = self._indexed_through
        if through < 0:
            return True
        try:
            canonical = self._chain.chaindb.get_canonical_block_hash(through)
        except self._pyevm.HeaderNotFound:  # the head moved below the index
            return False
        return canonical.hex() == self._meta.get("log_index_hash")

    def _index_logs(self, conn: sqlite3.Connection) -> None:
        """Add the logs of blocks mined since the last flush to the ``logs`` table."""
        if not self._index_is_current():
            self._indexed_through = -1
        if self._indexed_through < 0:
            conn.execute("DELETE FROM logs")
        head = self.block_number
        block_logs = self._pyevm.block_logs
        logindex.store(
            conn,
            (
                log
                for number in range(self._indexed_through + 1, head + 1)
                for log in block_logs(self._chain, number)
            ),
        )
        self._indexed_through = head
        self._meta["log_index_through"] = str(head)
        self._meta["log_index_hash"] = self._chain.chaindb.get_canonical_block_hash(head).hex()

    def _find_raw_logs(
        self, addresses: Any, topics: Any, from_block: int, to_block: int
    ) -> list[RawLog]:
        """Matching logs in [from_block, to_block]: from the index where it covers the
        range, from the receipts of blocks mined since the last flush otherwise."""
        wanted_addresses = logindex.accepted(addresses)
        wanted_topics = [] if topics is None else [logindex.accepted(t) for t in topics]
        to_block = min(to_block, self.block_number)
        if len(wanted_topics) > 4 or from_block > to_block:
            return []
        if not self._index_is_current():
            self._indexed_through = -1
        found: list[RawLog] = []
        indexed_end = min(to_block, self._indexed_through)
        if self._conn is not None and from_block <= indexed_end:
            found.extend(
                logindex.query(self._conn, wanted_addresses, wanted_topics, from_block, indexed_end)
            )
        for number in range(max(from_block, self._indexed_through + 1), to_block + 1):
            found.extend(
                log
                for log in self._pyevm.block_logs(self._chain, number)
                if logindex.matches(log, wanted_addresses, wanted_topics)
            )
        return found


# -- file, lock and meta helpers ----------------------------------------------------------------
def _acquire_lock(path: Path, timeout: float) -> BaseFileLock | _ReadOnlyFileSystem:
    from filelock import FileLock, Timeout

    if not path.parent.is_dir():
        raise ChainError(
            f"the workspace folder {path.parent} does not exist",
            hint="run `atelier init` to create a workspace",
        )
    lock = FileLock(f"{path}.lock", timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise ChainUnavailable(
            f"another atelier command is using the workspace chain {path} (waited {timeout:g} s)",
            hint="wait for it to finish, then try again",
        ) from None
    except OSError as exc:
        if exc.errno == errno.EROFS:  # nothing can write here, so reading needs no lock
            return _ReadOnlyFileSystem()
        raise ChainError(
            f"cannot lock the workspace chain {path}: {exc.strerror or exc}",
            hint="the workspace folder must be writable (every command takes its lock)",
        ) from None
    return lock


class _ReadOnlyFileSystem:
    """The lock of a chain on a read-only file system: none is needed (no one can write the
    file), and a command that tries to store a change fails when it saves, saying why."""

    def release(self) -> None:
        pass


def _open_file(path: Path) -> tuple[sqlite3.Connection | None, dict[str, str]]:
    """The connection and meta table of an existing chain file; (None, {}) if there is none
    yet (an empty file is what a first command that failed leaves behind)."""
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return None, {}
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        # Damaged pages would otherwise surface only when a command happens to read them
        # (a vote could be taken on a chain whose history is garbage). ~15 ms on 20 MB.
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise ChainError(
            f"{path} is not an Atelier embedded-chain file ({exc})", hint=_RESET_HINT
        ) from None
    if problems != ["ok"]:
        conn.close()
        raise ChainError(
            f"the workspace chain file {path} is damaged "
            f"({' '.join(' '.join(problems).split())[:160]})",
            hint="restore it from a backup, or move it aside to start a new chain "
            "(`atelier init --force`)",
        )
    return conn, meta


def _check_meta(pyevm: Any, meta: dict[str, str], path: Path) -> None:
    if meta.get("format") != FILE_FORMAT:
        raise ChainError(f"{path} is not an Atelier embedded-chain file", hint=_RESET_HINT)
    if meta.get("schema_version") != str(SCHEMA_VERSION):
        raise ChainError(
            f"{path} was written in chain-file format {meta.get('schema_version')!r}; "
            f"this version of atelier reads format {SCHEMA_VERSION}",
            hint="use the atelier version that made it, or " + _RESET_HINT,
        )
    if meta.get("chain_id") != str(pyevm.CHAIN_ID):
        raise ChainError(
            f"{path} holds chain id {meta.get('chain_id')}, but the embedded chain is "
            f"chain id {pyevm.CHAIN_ID}",
            hint=_RESET_HINT,
        )
    if meta.get("vm_schedule") != pyevm.VM_SCHEDULE:
        raise ChainError(
            f"{path} was made for EVM schedule {meta.get('vm_schedule')!r}, this atelier "
            f"runs {pyevm.VM_SCHEDULE!r}",
            hint=_RESET_HINT,
        )


def _new_meta(pyevm: Any, chain: Any) -> dict[str, str]:
    genesis = chain.get_canonical_head()
    return {
        "format": FILE_FORMAT,
        "schema_version": str(SCHEMA_VERSION),
        "chain_id": str(pyevm.CHAIN_ID),
        "vm_schedule": pyevm.VM_SCHEDULE,
        "genesis_hash": genesis.hash.hex(),
        "genesis_timestamp": str(genesis.timestamp),
        "time_offset": "0",
        "log_index_through": "-1",
        "log_index_hash": "",
    }


def _create_chain(pyevm: Any, kv: Any) -> Any:
    from atelier.governance.accounts import DEV_BALANCE_WEI, dev_signers

    funded = {bytes.fromhex(s.address[2:]): DEV_BALANCE_WEI for s in dev_signers().values()}
    return pyevm.new_chain(kv, funded, pyevm.now())


def _load_chain(pyevm: Any, kv: Any, path: Path) -> Any:
    try:
        return pyevm.load_chain(kv)
    except (pyevm.CanonicalHeadNotFound, pyevm.HeaderNotFound, KeyError):
        raise ChainError(f"{path} holds no chain data", hint=_RESET_HINT) from None


def _dev_private_keys() -> list[bytes]:
    from atelier.governance.accounts import dev_signers

    return [bytes(signer.account.key) for signer in dev_signers().values()]
