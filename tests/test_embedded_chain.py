"""The embedded chain: persisted across processes, atomic per command, wall-clock time,
a file lock, clear errors for foreign files, and get_logs that agrees with eth-tester."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_utils import keccak

from atelier.governance.accounts import DEV_BALANCE_WEI, dev_signer
from atelier.governance.chain.embedded import EmbeddedChain
from atelier.kernel.errors import ChainError, ChainUnavailable

DAY = 24 * 3600
VALUE_SET = keccak(text="ValueSet(address,uint256)")
VALUE_SET_ABI = [
    {
        "type": "event",
        "name": "ValueSet",
        "anonymous": False,
        "inputs": [
            {"name": "who", "type": "address", "indexed": True},
            {"name": "value", "type": "uint256", "indexed": False},
        ],
    }
]


# -- a hand-assembled contract: no calldata -> returns block.timestamp; 32 bytes of calldata
# -- x -> sstore(0, x) and emit ValueSet(msg.sender, x). Its constructor stores 7 in slot 0.
def runtime_code() -> bytes:
    getter = bytes.fromhex(
        "36"  # CALLDATASIZE
        "600d57"  # PUSH1 0x0d JUMPI  (to the setter when there is calldata)
        "42600052"  # TIMESTAMP PUSH1 0 MSTORE
        "60206000f3"  # RETURN mem[0:32]
    )
    setter = (
        bytes.fromhex(
            "5b"  # JUMPDEST
            "600035"  # x = CALLDATALOAD(0)
            "80600055"  # SSTORE(0, x)
            "600052"  # MSTORE(0, x)
            "33"  # CALLER            (topic1)
            "7f"  # PUSH32 ValueSet   (topic0)
        )
        + VALUE_SET
        + bytes.fromhex("60206000a200")  # LOG2(mem[0:32], topic0, topic1) STOP
    )
    assert len(getter) == 0x0D
    return getter + setter


def init_code(initial: int = 7) -> bytes:
    code = runtime_code()
    constructor = bytes(
        [
            *(0x60, initial, 0x60, 0x00, 0x55),  # SSTORE(0, initial)
            *(0x60, len(code), 0x60, 0x11, 0x60, 0x00, 0x39),  # CODECOPY(0, 0x11, len)
            *(0x60, len(code), 0x60, 0x00, 0xF3),  # RETURN mem[0:len]
        ]
    )
    assert len(constructor) == 0x11
    return constructor + code


def send(chain: EmbeddedChain, name: str, **tx):
    """Sign ``tx`` locally as dev account ``name``, send it raw, return its receipt."""
    signer = dev_signer(name)
    w3 = chain.w3
    tx = {
        "chainId": 31337,
        "type": 2,
        "maxFeePerGas": 2 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "gas": 300_000,
        "value": 0,
        "nonce": w3.eth.get_transaction_count(signer.address),
        **tx,
    }
    tx_hash = w3.eth.send_raw_transaction(signer.account.sign_transaction(tx).raw_transaction)
    return w3.eth.get_transaction_receipt(tx_hash)


def set_value(chain: EmbeddedChain, name: str, contract: str, value: int):
    receipt = send(chain, name, to=contract, data=value.to_bytes(32, "big"))
    assert receipt.status == 1
    return receipt


def deploy(chain: EmbeddedChain, name: str = "deployer") -> str:
    receipt = send(chain, name, data=init_code())
    assert receipt.status == 1
    return receipt.contractAddress


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "chain.sqlite3"


# -- persistence across processes -----------------------------------------------------------
CHILD = r"""
import json, sys
from pathlib import Path
from atelier.governance.accounts import dev_signer
from atelier.governance.chain.embedded import EmbeddedChain

mode, path, arg = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if mode == "hold":
    with EmbeddedChain.open(path):
        print("ready", flush=True)
        sys.stdin.read()
    sys.exit(0)

def send(w3, name, **tx):
    signer = dev_signer(name)
    tx = {"chainId": 31337, "type": 2, "maxFeePerGas": 2 * 10**9,
          "maxPriorityFeePerGas": 10**9, "gas": 300_000, "value": 0,
          "nonce": w3.eth.get_transaction_count(signer.address), **tx}
    tx_hash = w3.eth.send_raw_transaction(signer.account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt.status == 1, receipt
    return receipt

names = ("deployer", "alice", "bob")
with EmbeddedChain.open(path) as chain:
    w3 = chain.w3
    out = {"start_block": w3.eth.block_number, "chain_id": w3.eth.chain_id}
    if mode == "deploy":
        arg = send(w3, "deployer", data=bytes.fromhex(arg)).contractAddress
        send(w3, "alice", to=dev_signer("bob").address, value=10**18, gas=21000)
    elif mode == "set":
        send(w3, "alice", to=arg, data=(42).to_bytes(32, "big"))
    else:
        out["mined_timestamp"] = chain.mine()
    head = w3.eth.block_number
    out.update(
        contract=arg,
        block=head,
        timestamps=[w3.eth.get_block(n).timestamp for n in range(head + 1)],
        slot0=int.from_bytes(w3.eth.get_storage_at(arg, 0), "big"),
        code=w3.eth.get_code(arg).hex(),
        balances={n: w3.eth.get_balance(dev_signer(n).address) for n in names},
        nonces={n: w3.eth.get_transaction_count(dev_signer(n).address) for n in names},
        logs=[[log["blockNumber"], log["topics"][1].hex(), int(log["data"].hex(), 16)]
              for log in chain.get_logs(address=arg)],
    )
print(json.dumps(out))
"""


def run_child(mode: str, path: Path, arg: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), arg],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_state_persists_across_processes(path: Path) -> None:
    start = time.time()
    first = run_child("deploy", path, init_code().hex())
    second = run_child("set", path, first["contract"])
    third = run_child("read", path, first["contract"])
    end = time.time()

    assert first["chain_id"] == second["chain_id"] == third["chain_id"] == 31337
    # block numbers continue: genesis, deploy, transfer | set | an empty block
    assert (first["start_block"], first["block"]) == (0, 2)
    assert (second["start_block"], second["block"]) == (2, 3)
    assert (third["start_block"], third["block"]) == (3, 4)
    # history is kept and timestamps never go back and follow the wall clock
    assert second["timestamps"][:3] == first["timestamps"]
    assert third["timestamps"][:4] == second["timestamps"]
    stamps = third["timestamps"]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert int(start) <= stamps[0] and stamps[-1] <= int(end) + len(stamps)
    assert third["mined_timestamp"] == stamps[-1]
    # code and storage: the constructor stored 7, process 2 stored 42
    assert first["code"] == second["code"] == third["code"] == runtime_code().hex()
    assert (first["slot0"], second["slot0"], third["slot0"]) == (7, 42, 42)
    # balances and nonces
    assert third["balances"]["bob"] == DEV_BALANCE_WEI + 10**18
    assert third["balances"] == second["balances"]
    assert first["balances"]["deployer"] < DEV_BALANCE_WEI
    assert second["balances"]["alice"] < first["balances"]["alice"] < DEV_BALANCE_WEI - 10**18
    assert first["nonces"] == {"deployer": 1, "alice": 1, "bob": 0}
    assert third["nonces"] == {"deployer": 1, "alice": 2, "bob": 0}
    # the log written by process 2, found by process 3 through the log index
    alice_topic = "00" * 12 + dev_signer("alice").address[2:].lower()
    assert third["logs"] == second["logs"] == [[3, alice_topic, 42]]


def test_a_second_process_waits_for_the_lock_then_gives_up(path: Path) -> None:
    EmbeddedChain.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", CHILD, "hold", str(path), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        began = time.monotonic()
        with pytest.raises(ChainUnavailable, match="another atelier command"):
            EmbeddedChain.open(path, lock_timeout=0.3)
        assert time.monotonic() - began < 5
    finally:
        holder.communicate(input="", timeout=60)
    assert holder.returncode == 0
    with EmbeddedChain.open(path, lock_timeout=5) as chain:  # free again
        assert chain.block_number == 0


# -- atomic commands ------------------------------------------------------------------------
def test_an_exception_inside_the_block_stores_nothing(path: Path) -> None:
    with EmbeddedChain.open(path) as chain:
        deploy(chain)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(RuntimeError), EmbeddedChain.open(path) as chain:
        chain.mine()
        send(chain, "alice", to=dev_signer("bob").address, value=1, gas=21000)
        chain.advance_time(DAY)
        assert chain.block_number == 4
        raise RuntimeError("the command failed")

    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with EmbeddedChain.open(path) as chain:
        assert chain.block_number == 1
        assert chain.time_offset == 0
        assert chain.w3.eth.get_transaction_count(dev_signer("alice").address) == 0


def test_a_failed_first_command_leaves_no_chain_file(path: Path) -> None:
    with pytest.raises(RuntimeError), EmbeddedChain.open(path) as chain:
        chain.mine()
        raise RuntimeError("boom")
    assert not path.exists() or path.stat().st_size == 0
    with EmbeddedChain.open(path) as chain:
        assert chain.block_number == 0


def test_flush_stores_and_close_is_idempotent(path: Path) -> None:
    chain = EmbeddedChain.open(path)
    chain.mine()
    chain.flush()
    chain.mine()
    chain.discard()  # drops only what came after the flush
    chain.close()
    chain.discard()
    with pytest.raises(ChainError, match="closed"):
        _ = chain.w3
    with EmbeddedChain.open(path) as chain:
        assert chain.block_number == 1


# -- time -------------------------------------------------------------------------------------
def test_blocks_follow_the_wall_clock(path: Path) -> None:
    with EmbeddedChain.open(path) as chain:
        genesis = chain.w3.eth.get_block(0).timestamp
        assert abs(genesis - time.time()) < 5
        stamps = [chain.mine() for _ in range(3)]
        assert stamps == sorted(set(stamps)) and stamps[0] > genesis
        assert stamps[-1] <= int(time.time()) + 3


def test_each_block_gets_wall_clock_plus_offset_or_parent_plus_one(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atelier.governance.chain import pyevm

    wall = 2_000_000_000
    monkeypatch.setattr(pyevm, "now", lambda: wall)
    with EmbeddedChain.open(path) as chain:
        contract = deploy(chain)
        assert [chain.w3.eth.get_block(n).timestamp for n in (0, 1)] == [wall, wall + 1]
        assert chain.mine() == wall + 2  # many blocks in one second: parent + 1
        wall += 100
        assert chain.mine() == wall  # then the wall clock again
        assert chain.mine(wall + 5) == wall + 5  # exactly the asked time, ahead of the clock
        assert chain.mine() == wall + 6 and chain.time_offset == 5
        wall += 1000
        assert chain.mine(wall - 500) == wall - 500  # behind the clock, after the latest
        assert chain.advance_time(DAY) == wall + 5 + DAY
        assert chain.time_offset == DAY + 5
    wall += 60
    with EmbeddedChain.open(path) as chain:  # the offset persists
        assert chain.next_timestamp() == wall + DAY + 5
        assert int.from_bytes(chain.w3.eth.call({"to": contract}), "big") == wall + DAY + 5
        receipt = set_value(chain, "alice", contract, 1)
        assert chain.w3.eth.get_block(receipt.blockNumber).timestamp == wall + DAY + 5


def test_advance_time_moves_the_clock_and_persists(path: Path) -> None:
    with EmbeddedChain.open(path) as chain:
        contract = deploy(chain)
        before = chain.next_timestamp()
        advanced = chain.advance_time(2 * DAY)
        assert advanced >= before + 2 * DAY
        assert chain.w3.eth.get_block("latest").timestamp == advanced
        assert chain.time_offset >= 2 * DAY - 2
    with EmbeddedChain.open(path) as chain:
        assert chain.time_offset >= 2 * DAY - 2
        assert chain.w3.eth.get_block("latest").timestamp == advanced
        # later blocks keep following wall clock + offset, not the plain wall clock
        assert chain.next_timestamp() >= time.time() + 2 * DAY - 3
        receipt = set_value(chain, "alice", contract, 5)
        assert chain.w3.eth.get_block(receipt.blockNumber).timestamp > advanced
        assert chain.mine() > advanced


def test_mine_at_an_explicit_timestamp(path: Path) -> None:
    with EmbeddedChain.open(path) as chain:
        target = int(time.time()) + 10 * DAY
        assert chain.mine(target) == target  # exactly, not target - 1
        assert chain.w3.eth.get_block("latest").timestamp == target
        assert chain.mine() > target  # the clock jumped forward with it
        with pytest.raises(ChainError, match="latest block"):
            chain.mine(target)


def test_calls_run_against_the_pending_block_time(path: Path) -> None:
    with EmbeddedChain.open(path) as chain:
        contract = deploy(chain)
        chain.advance_time(3 * DAY)
        w3 = chain.w3
        low = chain.next_timestamp()
        seen = int.from_bytes(w3.eth.call({"to": contract}), "big")
        high = chain.next_timestamp()
        assert low <= seen <= high
        assert seen > w3.eth.get_block("latest").timestamp
        estimate = w3.eth.estimate_gas({"to": contract, "data": (1).to_bytes(32, "big")})
        assert 21_000 < estimate < 100_000


# -- foreign files ---------------------------------------------------------------------------
def test_a_file_that_is_not_sqlite_is_refused(path: Path) -> None:
    path.write_bytes(b"this is not a database, just some text that is long enough" * 20)
    with pytest.raises(ChainError, match="not an Atelier embedded-chain file") as caught:
        EmbeddedChain.open(path)
    assert caught.value.hint and caught.value.__suppress_context__
    with pytest.raises(ChainError) as again:
        EmbeddedChain.open(path, lock_timeout=0.1)
    assert not isinstance(again.value, ChainUnavailable)  # the failed open released its lock


def test_a_chain_file_with_damaged_pages_is_refused_on_open(path: Path,
                                                           deployed_chain_file: tuple) -> None:
    """Garbage in pages a command might never read (history, other accounts) is found when
    the file is opened, before anything is read or written on top of it."""
    import random

    data = bytearray(deployed_chain_file[0].read_bytes())
    page = 4096
    noise = random.Random(7).randbytes(4 * page)
    data[10 * page:14 * page] = noise
    path.write_bytes(bytes(data))
    with pytest.raises(ChainError, match=r"the workspace chain file .* is damaged") as caught:
        EmbeddedChain.open(path)
    assert "restore it from a backup" in (caught.value.hint or "")
    assert path.read_bytes() == bytes(data)  # refused: nothing written


def test_another_sqlite_database_is_refused(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(ChainError, match="not an Atelier embedded-chain file"):
        EmbeddedChain.open(path)


def test_a_chain_with_another_chain_id_is_refused(path: Path) -> None:
    EmbeddedChain.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'chain_id'")
    with pytest.raises(ChainError, match="chain id 1") as caught:
        EmbeddedChain.open(path)
    assert "31337" in str(caught.value) and caught.value.hint


# -- logs -------------------------------------------------------------------------------------
def eth_tester_logs(chain: EmbeddedChain, **params) -> list[dict]:
    """The same query through eth-tester's own eth_getLogs over the same chain."""
    from eth_tester import EthereumTester
    from web3 import Web3
    from web3.providers.eth_tester import EthereumTesterProvider

    reference = Web3(EthereumTesterProvider(EthereumTester(backend=chain._backend)))
    return reference.eth.get_logs(params)


KEYS = (
    "address",
    "topics",
    "data",
    "blockNumber",
    "blockHash",
    "transactionHash",
    "transactionIndex",
    "logIndex",
)


def comparable(logs) -> list[tuple]:
    return [tuple(log[key] for key in KEYS) for log in logs]


def test_get_logs_agrees_with_eth_tester_and_filters_topics(path: Path) -> None:
    alice, bob = (dev_signer(name).address for name in ("alice", "bob"))
    as_topic = lambda address: "0x" + "00" * 12 + address[2:].lower()  # noqa: E731

    def check(chain: EmbeddedChain, first: str, second: str) -> None:
        cases = [
            ({"address": first}, {"address": first, "fromBlock": 0}),
            ({"address": [first, second]}, {"address": [first, second], "fromBlock": 0}),
            (
                {"address": first, "topics": [VALUE_SET, as_topic(alice)]},
                {"address": first, "topics": [VALUE_SET, as_topic(alice)], "fromBlock": 0},
            ),
            (
                {"address": [first, second], "topics": [None, [as_topic(alice), as_topic(bob)]]},
                {
                    "address": [first, second],
                    "topics": [None, [as_topic(alice), as_topic(bob)]],
                    "fromBlock": 0,
                },
            ),
            (
                {
                    "address": second,
                    "topics": [None, as_topic(bob)],
                    "from_block": 4,
                    "to_block": 8,
                },
                {"address": second, "topics": [None, as_topic(bob)], "fromBlock": 4, "toBlock": 8},
            ),
        ]
        for ours, theirs in cases:
            expected = eth_tester_logs(chain, **theirs)
            assert comparable(chain.get_logs(**ours)) == comparable(expected)
            assert comparable(chain.w3.eth.get_logs(theirs)) == comparable(expected)

    with EmbeddedChain.open(path) as chain:
        first, second = deploy(chain), deploy(chain, "alice")
        for value, (name, contract) in enumerate(
            [("alice", first), ("bob", first), ("bob", second), ("alice", second)] * 3
        ):
            set_value(chain, name, contract, value)
        send(chain, "carol", to=bob, value=1, gas=21000)  # a block without logs
        check(chain, first, second)  # blocks not yet indexed: read from receipts

    with EmbeddedChain.open(path) as chain:
        check(chain, first, second)  # from the log index stored by close()
        set_value(chain, "bob", first, 99)
        check(chain, first, second)  # index + the new block's receipts

        only_bob = chain.get_logs(address=first, topics=[VALUE_SET, as_topic(bob)])
        assert [log["data"][-1] for log in only_bob] == [1, 5, 9, 99]
        assert chain.get_logs(address=first, topics=[VALUE_SET, None, None]) == []
        assert chain.get_logs(address=first, from_block=9, to_block=4) == []
        event = chain.w3.eth.contract(address=first, abi=VALUE_SET_ABI).events.ValueSet()
        decoded = event.process_log(only_bob[-1])
        assert decoded["args"] == {"who": bob, "value": 99}
        assert decoded["blockNumber"] == chain.block_number


def test_a_chain_file_without_chain_data_is_refused(path: Path) -> None:
    EmbeddedChain.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM kv")
    with pytest.raises(ChainError, match="holds no chain data"):
        EmbeddedChain.open(path)


def test_a_read_only_session_leaves_the_file_byte_for_byte(path: Path) -> None:
    """Nothing written, nothing stored: a refused or read-only command does not even touch
    SQLite's header (its change counter), so a workspace can be compared byte for byte."""
    with EmbeddedChain.open(path) as chain:
        chain.mine()
    before = path.read_bytes()
    with EmbeddedChain.open(path) as chain:
        chain.w3.eth.get_block("latest")
        chain.w3.eth.get_balance(dev_signer("alice").address)
    assert path.read_bytes() == before
    with EmbeddedChain.open(path) as chain:  # and a session that mines still stores
        chain.mine()
    assert path.read_bytes() != before
