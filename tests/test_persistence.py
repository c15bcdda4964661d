"""The embedded chain persists across CLI processes: one deploys and proposes, a second
votes, a third queues and executes, each a separate OS process on the same workspace."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli_helpers import atelier_process, write_config

pytestmark = pytest.mark.slow


def test_three_processes_share_one_chain(tmp_path: Path) -> None:
    config = write_config(tmp_path)

    first = atelier_process(config, "init")
    assert first.code == 0, first.err
    proposed = atelier_process(config, "goal", "propose", "--title", "Tidewater", "--json")
    assert proposed.code == 0, proposed.err
    proposal = json.loads(proposed.out)
    assert proposal["state"] == "Pending"
    assert proposal["proposer_name"] == "alice"  # named, as `proposals show` names it

    second = atelier_process(config, "chain", "advance", "11s")
    assert second.code == 0, second.err
    for voter in ("alice", "bob"):
        voted = atelier_process(config, "vote", "1", "for", "--as", voter, "--json")
        assert voted.code == 0, voted.err
    tally = json.loads(voted.out)["proposal"]["votes"]
    assert tally["for"] == str(200 * 10**18)

    third = atelier_process(config, "chain", "advance", "5m")
    assert third.code == 0, third.err
    assert atelier_process(config, "queue", "1").code == 0
    assert atelier_process(config, "chain", "advance", "61s").code == 0
    executed = atelier_process(config, "execute", "1")
    assert executed.code == 0, executed.err

    final = json.loads(atelier_process(config, "proposals", "show", "1", "--json").out)
    assert final["state"] == "Executed"
    assert final["id"] == proposal["id"]
    assert final["block"] == proposal["block"]
    assert final["vote_start"] == proposal["vote_start"]
    goals = json.loads(atelier_process(config, "goal", "list", "--json").out)
    assert [g["title"] for g in goals] == ["Tidewater"]
    status = json.loads(atelier_process(config, "chain", "status", "--json").out)
    assert status["block"] > proposal["block"]
    # time travel persisted: the chain is over 6 minutes ahead of when it proposed
    assert status["time"] >= proposal["vote_start"] + 5 * 60


def test_a_failed_command_changes_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert atelier_process(config, "init").code == 0
    before = json.loads(atelier_process(config, "chain", "status", "--json").out)
    refused = atelier_process(config, "vote", "1", "for")
    assert refused.code == 1
    after = json.loads(atelier_process(config, "chain", "status", "--json").out)
    assert after["block"] == before["block"]


def test_a_corrupt_chain_file_is_reported_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert atelier_process(config, "init").code == 0
    chain_file = tmp_path / ".atelier" / "chain.sqlite3"
    chain_file.write_bytes(b"this is not a database" * 100)
    result = atelier_process(config, "chain", "status")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert str(chain_file) in result.err or "chain" in result.err.lower()
    assert not _is_sqlite(chain_file)  # we did not silently replace the user's file


def _is_sqlite(path: Path) -> bool:
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("select 1 from sqlite_master").fetchall()
        return True
    except sqlite3.DatabaseError:
        return False
