"""Chain commands killed mid-write (issue 20's crash matrix, the chain half): `goal propose`
and `vote` processes are SIGKILLed at spread-out moments of their work; after each kill the
embedded chain file opens, and the command either happened whole (a complete proposal, a
counted vote) or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from atelier.testing import lighthouse

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, studio_at

pytestmark = pytest.mark.slow

#: When to kill, as a share of the command's own duration (timed first on this machine):
#: most of a command is Python starting; the chain work is its last few hundred
#: milliseconds, so the kills crowd there.
KILL_AT = (0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98, 1.0, 1.03)


def _killed(config: Path, delay: float, *args: str) -> int | None:
    """Run `atelier ARGS` and SIGKILL it after ``delay`` s; its exit code if it ended first."""
    process = subprocess.Popen([sys.executable, "-m", "atelier", "--config", str(config),
                                *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "COLUMNS": "200"})
    try:
        process.wait(delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return None if process.returncode == -signal.SIGKILL else process.returncode


def test_proposals_and_votes_killed_mid_write_are_whole_or_absent(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    studio = studio_at(config)
    took = 60.0
    for warm in ("Season 0", "Season 0b"):  # the first run is cold (imports, disk caches)
        started = time.monotonic()
        assert _killed(config, 60, "goal", "propose", "--title", warm, "--brief",
                       lighthouse.BRIEF, "--as", "alice") == 0
        took = min(took, time.monotonic() - started)
    outcomes = []
    for i, share in enumerate(KILL_AT, start=1):
        delay = took * share
        with studio.session() as dao:
            before = dao.proposal_count()
        code = _killed(config, delay, "goal", "propose", "--title", f"Season {i}", "--brief",
                       lighthouse.BRIEF, "--as", "alice")
        status = atelier(config, "chain", "status")
        assert status.code == 0, status.err  # the file opens
        with studio.session() as dao:
            after = dao.proposal_count()
            assert after in (before, before + 1)
            if after == before + 1:  # it happened: all of it
                newest = dao.proposal(str(after))
                assert newest.title == f"Goal: Season {i}" and newest.description.strip()
            else:
                assert code is None  # only a kill may leave nothing behind
        outcomes.append((delay, code, after - before))
        if code is not None:  # it finished first: this machine is quicker now (load varies)
            took *= 0.9
    assert sum(code is None for _, code, _ in outcomes) >= 3, outcomes  # kills did land

    ok(atelier(config, "chain", "advance", "1m"))  # voting opens on those that exist
    with studio.session() as dao:
        open_ones = [p.number for p in dao.proposals() if p.number > 1]
    for share, number in zip(KILL_AT, open_ones, strict=False):
        _killed(config, took * share, "vote", str(number), "for", "--as", "bob")
        with studio.session() as dao:
            votes = [v for v in dao.votes(dao.proposal(str(number)))
                     if dao.name_of(v.voter) == "bob"]
            assert len(votes) <= 1
            tally = dao.status(dao.proposal(str(number))).tally
            assert tally.for_ == sum(v.weight for v in votes)  # counted once or not at all
