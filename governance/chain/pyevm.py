"""The py-evm and eth-tester side of the embedded chain: py-evm's database over a buffered
SQLite key-value table, the fixed chain class, and an eth-tester backend around that chain.

Imported only when a chain is opened (py-evm and eth-tester take ~1 s to import). It relies
on details of the pinned betas (py-evm 0.12.1b1, eth-tester 0.14.0b1), all exercised by
tests/test_embedded_chain.py:

- py-evm ``MiningChain.header``: the pending header, reassigned (``header.copy(timestamp=)``)
  to give the next block its time while it holds no transactions;
- eth-tester ``PyEVMBackend``: subclassed without calling its ``__init__`` (which would build
  a fresh in-memory chain); we set its ``chain`` and ``account_keys`` attributes, call its
  private ``_get_normalized_and_unsigned_evm_transaction``, ``_max_available_gas`` and
  ``is_eip838_error``, rely on ``call(tx, "pending")`` executing against
  ``chain.get_block()``, and reuse ``serialize_transaction`` /
  ``serialize_transaction_receipt`` from ``eth_tester.backends.pyevm.serializers``;
- eth-tester ``EthereumTester``: its ``validator`` / ``normalizer`` for ``get_logs``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from eth.chains.base import MiningChain
from eth.constants import (
    BLANK_ROOT_HASH,
    POST_MERGE_DIFFICULTY,
    POST_MERGE_MIX_HASH,
    POST_MERGE_NONCE,
    ZERO_ADDRESS,
)
from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.exceptions import CanonicalHeadNotFound as CanonicalHeadNotFound  # re-exported
from eth.exceptions import HeaderNotFound as HeaderNotFound  # re-exported
from eth.exceptions import InvalidInstruction, Revert
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_keys import keys
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import PyEVMBackend
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionFailed, TransactionNotFound
from eth_utils import encode_hex
from eth_utils.decorators import replace_exceptions

from atelier.governance.chain.logindex import RawLog
from atelier.kernel.errors import ChainError

#: Fixed for the life of a chain file (checked against its meta table on open).
CHAIN_ID = 31337  # anvil's and hardhat's default, so wallets treat both alike
VM_SCHEDULE = "prague@0"
BLOCK_GAS_LIMIT = 30_000_000

_MISSING = object()
_FEE_FIELDS = {"gas_price", "max_fee_per_gas", "max_priority_fee_per_gas"}


class SQLiteKeyValueDB(BaseDB):
    """py-evm's key-value store over the ``kv`` table, with every write held in memory
    until ``write_pending`` (called inside the command's one SQLite transaction)."""

    def __init__(self, conn: sqlite3.Connection | None) -> None:
        self._conn = conn  # None until a new chain file is first written
        self._pending: dict[bytes, bytes | None] = {}  # None marks a deleted key
        self.closed = False

    @property
    def has_pending(self) -> bool:
        """Whether anything was written or deleted since the last flush."""
        return bool(self._pending)

    def attach(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _read(self, key: bytes) -> bytes | None:
        if self.closed:
            raise ChainError("the embedded chain is closed")
        if self._conn is None:
            return None
        try:
            row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise ChainError(
                f"the workspace chain file is damaged ({exc})",
                hint="restore it from a backup, or move it aside to start a new chain",
            ) from None
        return None if row is None else row[0]

    def __getitem__(self, key: bytes) -> bytes:
        value = self._pending.get(key, _MISSING)
        if value is _MISSING:
            value = self._read(key)
        if value is None:
            raise KeyError(key)
        return value  # type: ignore[return-value]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._pending[bytes(key)] = bytes(value)

    def __delitem__(self, key: bytes) -> None:
        if key not in self:
            raise KeyError(key)
        self._pending[bytes(key)] = None

    def _exists(self, key: bytes) -> bool:
        value = self._pending.get(key, _MISSING)
        if value is _MISSING:
            value = self._read(key)
        return value is not None

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def write_pending(self, conn: sqlite3.Connection) -> None:
        """Write the buffered changes; the caller owns the transaction."""
        conn.executemany(
            "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)",
            ((k, v) for k, v in self._pending.items() if v is not None),
        )
        conn.executemany(
            "DELETE FROM kv WHERE k = ?", ((k,) for k, v in self._pending.items() if v is None)
        )

    def clear_pending(self) -> None:
        self._pending.clear()


def one_run_gas_estimate(state: Any, transaction: Any) -> int:
    """What a transaction needs as its gas limit, from one execution at the block gas limit,
    confirmed by a second execution at that limit; py-evm's own binary search (~15
    executions) is the fallback when the confirmation fails.

    The estimate is the gas the execution burnt before refunds, with room for the 1/64 of
    the remaining gas each call keeps back (three levels: governor -> timelock -> registry
    is two), and never below Prague's calldata floor (EIP-7623), which py-evm charges at the
    end without checking the limit against it.
    """
    from eth.estimators.gas import binary_gas_search_intrinsic_tolerance

    def run(gas: int) -> Any:
        snapshot = state.snapshot()
        try:
            return state.apply_transaction(SpoofTransaction(transaction, gas=gas, gas_price=0))
        finally:
            state.revert(snapshot)

    computation = run(state.gas_limit)
    if computation.is_error:
        raise computation.error
    burnt = transaction.intrinsic_gas + computation.get_gas_used()
    estimate = min(max(burnt * 64**3 // 63**3 + 1, calldata_floor(transaction.data)),
                   state.gas_limit)
    try:
        if not run(estimate).is_error:
            return estimate
    except Exception:
        pass
    return binary_gas_search_intrinsic_tolerance(state, transaction)


def calldata_floor(data: bytes) -> int:
    """EIP-7623's minimum gas of a transaction: 21000 + 10 per calldata token (a zero byte
    is one token, any other byte four)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


class AtelierChain(MiningChain):
    """The one chain class every embedded chain file is read with: Prague from genesis."""

    chain_id = CHAIN_ID
    vm_configuration = ((0, PragueVM),)
    gas_estimator = staticmethod(one_run_gas_estimate)

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        # Keep the gas limit constant (as eth-tester's own tester chain does).
        header_params.setdefault("gas_limit", parent_header.gas_limit)
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> Any:  # called by eth-tester's PyEVMBackend
        return self.get_vm().get_transaction_builder()


def new_chain(kv: SQLiteKeyValueDB, genesis_state: dict[bytes, int], timestamp: int) -> Any:
    """A fresh chain in ``kv`` whose genesis funds ``genesis_state`` (address -> wei)."""
    params = {
        "coinbase": ZERO_ADDRESS,
        "difficulty": POST_MERGE_DIFFICULTY,
        "extra_data": b"",
        "gas_limit": BLOCK_GAS_LIMIT,
        "mix_hash": POST_MERGE_MIX_HASH,
        "nonce": POST_MERGE_NONCE,
        "receipt_root": BLANK_ROOT_HASH,
        "timestamp": timestamp,
        "transaction_root": BLANK_ROOT_HASH,
    }
    state = {
        address: {"balance": wei, "nonce": 0, "code": b"", "storage": {}}
        for address, wei in genesis_state.items()
    }
    return AtelierChain.from_genesis(AtomicDB(kv), params, state)


def load_chain(kv: SQLiteKeyValueDB) -> Any:
    """The chain stored in ``kv``, its pending block built on the stored canonical head."""
    return AtelierChain(AtomicDB(kv))


def block_logs(chain: Any, number: int) -> Iterator[RawLog]:
    """The logs of canonical block ``number``, read from its receipts in the chain DB."""
    chaindb = chain.chaindb
    header = chaindb.get_canonical_block_header_by_number(number)
    if header.receipt_root == BLANK_ROOT_HASH:
        return
    receipt_builder = chain.get_vm_class_for_block_number(number).get_receipt_builder()
    tx_hashes = chaindb.get_block_transaction_hashes(header)
    log_index = 0
    for tx_index, receipt in enumerate(chaindb.get_receipts(header, receipt_builder)):
        for log in receipt.logs:
            topics = tuple(topic.to_bytes(32, "big") for topic in log.topics)
            yield (
                number,
                log_index,
                tx_index,
                tx_hashes[tx_index],
                header.hash,
                log.address,
                topics,
                log.data,
            )
            log_index += 1


class PersistedPyEVMBackend(PyEVMBackend):
    """eth-tester's py-evm backend over our persisted chain, with a wall clock.

    Every new block gets ``max(clock(), parent.timestamp + 1)`` where ``clock`` is the wall
    clock plus the chain's stored offset; calls and gas estimates run against the pending
    block at the time it would be mined with, so time-dependent checks agree with the tx.
    """

    def __init__(
        self,
        chain: Any,
        private_keys: Callable[[], Sequence[bytes]],
        clock: Callable[[], int],
    ) -> None:
        # Deliberately not PyEVMBackend.__init__: it would build a fresh in-memory chain.
        self.chain = chain
        self._private_keys = private_keys
        self._account_keys: tuple[Any, ...] | None = None
        self._clock = clock
        self._pinned_timestamp: int | None = None

    @property  # type: ignore[override]
    def account_keys(self) -> tuple[Any, ...]:
        """The dev accounts (``eth_accounts``), derived on first use (~0.1 s)."""
        if self._account_keys is None:
            self._account_keys = tuple(keys.PrivateKey(key) for key in self._private_keys())
        return self._account_keys

    @account_keys.setter
    def account_keys(self, value: tuple[Any, ...]) -> None:
        self._account_keys = value

    # -- time ------------------------------------------------------------------------------
    def next_timestamp(self) -> int:
        """The timestamp the next block gets if mined now."""
        if self._pinned_timestamp is not None:
            return self._pinned_timestamp
        parent = self.chain.chaindb.get_block_header_by_hash(self.chain.header.parent_hash)
        return max(self._clock(), parent.timestamp + 1)

    def pin_next_timestamp(self, timestamp: int) -> None:
        self._pinned_timestamp = timestamp
        self.refresh_pending_timestamp()

    def refresh_pending_timestamp(self) -> None:
        """Give the pending block the time it would be mined at, unless it already holds
        transactions (their effects were computed at its current time)."""
        header = self.chain.header
        if header.transaction_root != BLANK_ROOT_HASH:
            return
        timestamp = self.next_timestamp()
        if header.timestamp != timestamp:
            self.chain.header = header.copy(timestamp=timestamp)

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> tuple:
        hashes: list[bytes] = []
        for _ in range(num_blocks):
            try:
                self.refresh_pending_timestamp()
                hashes.extend(super().mine_blocks(1, coinbase))
            finally:
                self._pinned_timestamp = None
        return tuple(hashes)

    def time_travel(self, to_timestamp: int) -> int:
        # eth-tester's own version mines at ``to_timestamp - 1``.
        self.pin_next_timestamp(to_timestamp)
        self.mine_blocks()
        return to_timestamp

    # -- transactions and calls --------------------------------------------------------------
    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        self.refresh_pending_timestamp()
        return super().send_raw_transaction(raw_transaction)

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest"):
        self.refresh_pending_timestamp()
        return super().send_signed_transaction(signed_transaction, block_number)

    def send_transaction(self, transaction: Any) -> bytes:
        self.refresh_pending_timestamp()
        return super().send_transaction(transaction)

    def call(self, transaction: Any, block_number: Any = "latest") -> bytes:
        if block_number in ("latest", "pending"):
            self.refresh_pending_timestamp()
            block_number = "pending"
        if _FEE_FIELDS & set(transaction) or not isinstance(block_number, int | str) or (
                isinstance(block_number, str) and block_number != "pending"):
            return super().call(transaction, block_number)
        return self._unpriced_call(transaction, block_number)

    def _unpriced_call(self, transaction: Any, block_number: int | str) -> bytes:
        """A call that names no gas price costs nothing, as on geth and anvil: zero fees over
        a zero base fee. eth-tester prices it at 1 gwei, so a sender without ether (a
        contract: the timelock, the governor) could not be simulated at all."""
        unpriced = {"gas": self._max_available_gas(), **transaction,
                    "max_fee_per_gas": 0, "max_priority_fee_per_gas": 0}
        unsigned = self._get_normalized_and_unsigned_evm_transaction(unpriced, block_number)
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        block = (self.chain.get_block() if block_number == "pending"
                 else self.chain.get_canonical_block_by_number(block_number))
        state = self.chain.get_vm(at_header=block.header.copy(base_fee_per_gas=0)).state
        snapshot = state.snapshot()
        computation = state.apply_transaction(spoofed)
        state.revert(snapshot)
        if computation.is_error:  # eth-tester's own wording (the revert data in the message)
            message = str(computation._error)
            if self.is_eip838_error(computation._error):
                with contextlib.suppress(DecodingError):
                    message = abi_decode(["string"], computation._error.args[0][4:])[0]
            raise TransactionFailed(message)
        return computation.output

    @replace_exceptions({InvalidInstruction: TransactionFailed, Revert: TransactionFailed})
    def estimate_gas(self, transaction: Any, block_number: Any = "latest") -> int:
        if block_number not in ("latest", "pending"):
            return super().estimate_gas(transaction, block_number)
        self.refresh_pending_timestamp()
        unsigned = self._get_normalized_and_unsigned_evm_transaction(
            {**transaction, "gas": 21000}, "pending"
        )
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        return self.chain.estimate_gas(spoofed, self.chain.header)

    def get_block_by_number(self, block_number: Any, full_transaction: bool = True) -> Any:
        if block_number == "pending":
            self.refresh_pending_timestamp()
        return super().get_block_by_number(block_number, full_transaction)

    # -- transaction lookups through py-evm's tx index (eth-tester scans every block) ---------
    def _locate(self, transaction_hash: bytes) -> tuple[Any, Any, int, bool]:
        pending = self.chain.get_block()
        for index, transaction in enumerate(pending.transactions):
            if transaction.hash == transaction_hash:
                return pending, transaction, index, True
        try:
            number, index = self.chain.chaindb.get_transaction_index(transaction_hash)
        except EVMTransactionNotFound:
            raise TransactionNotFound(
                f"No transaction found for transaction hash: {encode_hex(transaction_hash)}"
            ) from None
        block = self.chain.get_canonical_block_by_number(number)
        return block, block.transactions[index], index, False

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, transaction, index, is_pending = self._locate(transaction_hash)
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, transaction, index, is_pending = self._locate(transaction_hash)
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, transaction, index, is_pending, self.chain.get_vm()
        )


class AtelierEthereumTester(EthereumTester):
    """eth-tester whose ``eth_getLogs`` is answered by the chain's log index."""

    def __init__(
        self,
        backend: PersistedPyEVMBackend,
        find_logs: Callable[[Any, Any, int, int], list[RawLog]],
    ) -> None:
        super().__init__(backend=backend)
        self._find_logs = find_logs  # (addresses, topics, from_block, to_block)

    def get_logs(self, from_block=None, to_block=None, address=None, topics=None):  # type: ignore[override]
        self.validator.validate_inbound_filter_params(
            from_block=from_block, to_block=to_block, address=address, topics=topics
        )
        raw_from, raw_to, raw_address, raw_topics = self.normalizer.normalize_inbound_filter_params(
            from_block=from_block, to_block=to_block, address=address, topics=topics
        )
        bounds = []
        for raw in (raw_from, raw_to):
            if isinstance(raw, int):
                bounds.append(raw)
            else:
                bounds.append(self.get_block_by_number(raw or "latest")["number"])
        logs = self._find_logs(raw_address, raw_topics, bounds[0], bounds[1])
        return tuple(
            self.normalizer.normalize_outbound_log_entry(raw_log_entry(log)) for log in logs
        )


def raw_log_entry(log: RawLog) -> dict[str, Any]:
    """A log in eth-tester's raw (backend) form."""
    number, log_index, tx_index, tx_hash, block_hash, address, topics, data = log
    return {
        "type": "mined",
        "log_index": log_index,
        "transaction_index": tx_index,
        "transaction_hash": tx_hash,
        "block_hash": block_hash,
        "block_number": number,
        "address": address,
        "data": data,
        "topics": list(topics),
    }


def now() -> int:
    return int(time.time())
