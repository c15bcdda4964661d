"""Eight `atelier` processes at once on one embedded-chain workspace (issue 20, item 4): five
members vote on one open proposal (two by relayed signatures) while two listings read and
the chain clock moves, for a few rounds. Every vote is counted once, no process waits out
the lock timeout, and the workspace's files stay sound."""

from __future__ import annotations

import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from atelier.governance.accounts import dev_signer

from cli_helpers import FAST_GOVERNANCE, Result, atelier, atelier_process, write_config

#: Founding members with distinct weights, so a lost or doubled vote shows in the sums.
MEMBERS = {"alice": 100, "bob": 90, "carol": 80, "dave": 70, "erin": 60}
SUPPORT = {"alice": "for", "bob": "against", "carol": "abstain", "dave": "for", "erin": "for"}
#: Their ballots are signed off-chain and relayed by one account (the deployer's), so two
#: relays at once send transactions from one sender: its nonce must not be reused.
BY_SIGNATURE = ("dave", "erin")
ROUNDS = 3
UNIT = 10**18


def round_commands(number: int) -> list[tuple[str, ...]]:
    """What runs at once in a round: every member's vote on proposal ``number``, two
    listings and a move of the chain clock (8 processes)."""
    votes = [("vote", str(number), SUPPORT[m], "--as", m, "--json",
              *(("--by-signature",) if m in BY_SIGNATURE else ())) for m in MEMBERS]
    return [*votes, ("proposals", "list", "--json"), ("proposals", "show", str(number)),
            ("chain", "advance", "1s")]


def timed(config: Path, args: tuple[str, ...]) -> tuple[Result, float]:
    started = time.perf_counter()
    result = atelier_process(config, *args)
    return result, time.perf_counter() - started


def integrity(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]


@pytest.mark.slow
def test_eight_processes_at_once_count_every_vote_once(tmp_path: Path) -> None:
    members = "\n[members]\n" + "".join(f"{m} = {p}\n" for m, p in MEMBERS.items())
    config = write_config(tmp_path, FAST_GOVERNANCE + members)
    assert atelier(config, "init").code == 0
    for number in range(1, ROUNDS + 1):
        proposed = atelier(config, "goal", "propose", "--title", f"Round {number}")
        assert proposed.code == 0, proposed.err
    assert atelier(config, "chain", "advance", "11s").code == 0  # every proposal open

    started, slowest = time.perf_counter(), 0.0
    rounds: list[list[tuple[tuple[str, ...], Result]]] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for number in range(1, ROUNDS + 1):
            commands = round_commands(number)
            results = list(pool.map(lambda args: timed(config, args), commands))
            rounds.append([(args, result) for args, (result, _) in zip(commands, results,
                                                                       strict=True)])
            slowest = max(slowest, *(seconds for _, seconds in results))
    elapsed = time.perf_counter() - started
    print(f"\n{ROUNDS} rounds of {len(round_commands(1))} processes at once: {elapsed:.1f} s; "
          f"the slowest process {slowest:.1f} s (lock timeout 30 s)")

    for round_results in rounds:
        for args, result in round_results:
            # the default lock timeout (30 s) was enough for everyone: no refusal at all
            assert result.code == 0, (args, result.err)
            assert "Traceback" not in result.err + result.out, args
        voted = [json.loads(result.out) for args, result in round_results if args[0] == "vote"]
        assert sorted((v["voter"], v["weight"]) for v in voted) == sorted(MEMBERS.items())

    for number in range(1, ROUNDS + 1):
        shown = json.loads(atelier(config, "proposals", "show", str(number), "--json").out)
        assert shown["state"] == "Active"
        expected = {support: str(sum(p for m, p in MEMBERS.items() if SUPPORT[m] == support)
                                 * UNIT) for support in ("for", "against", "abstain")}
        assert shown["votes"] == expected, number  # the sum of the voters' weights
        ballots = sorted(b["voter"] for b in shown["ballots"])
        assert ballots == sorted(dev_signer(m).address for m in MEMBERS)  # each once

    workspace = tmp_path / ".atelier"
    files = sorted(workspace.rglob("*.sqlite3"))
    assert workspace / "chain.sqlite3" in files
    for path in files:
        assert integrity(path) == ["ok"], path
    status = atelier_process(config, "chain", "status")
    assert status.code == 0, status.err
