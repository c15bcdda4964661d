"""One process drives a run at a time, and `run list` tells a live run from an interrupted one
(a run marked running whose process is gone)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from atelier.store.run_lock import RunBusy, run_is_live, run_lock

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, pass_proposal, studio_at


def test_a_run_lock_is_held_once_and_freed_when_released(tmp_path: Path) -> None:
    with run_lock("", tmp_path, 1):
        assert run_is_live("", tmp_path, 1)
        assert not run_is_live("", tmp_path, 2)
        with (pytest.raises(RunBusy, match="run 1 is being driven by another atelier process"),
              run_lock("", tmp_path, 1)):
            pass
    assert not run_is_live("", tmp_path, 1)


def test_a_run_lock_is_freed_when_its_process_is_killed(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from atelier.store.run_lock import run_lock\n"
         "with run_lock('', Path(sys.argv[1]), 3):\n print('held', flush=True); time.sleep(60)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert run_is_live("", tmp_path, 3)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert not run_is_live("", tmp_path, 3)


def test_a_second_resume_is_refused_while_one_drives_the_run(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    ok(atelier(config, "run", "start"))
    pass_proposal(config, 2)
    studio = studio_at(config)
    with studio.run_lock(1):  # another process drives run 1
        busy = atelier(config, "run", "resume", "1")
        assert busy.code != 0 and "Traceback" not in busy.err
        assert "run 1 is being driven by another atelier process" in busy.err
        listed = json.loads(atelier(config, "run", "list", "--json").out)
        assert listed[0]["status"] == "paused"  # refused: nothing changed
    started = time.monotonic()
    ok(atelier(config, "run", "resume", "1"))
    assert time.monotonic() - started < 60


def test_run_list_shows_a_run_whose_process_died_as_interrupted(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    ok(atelier(config, "run", "start"))
    studio = studio_at(config)
    with studio.open_store() as store:  # as a SIGKILL mid-node leaves the row
        store.update_run(1, status="running", message="")
    with studio.run_lock(1):  # its process is alive
        assert json.loads(atelier(config, "run", "list", "--json").out)[0]["status"] == "running"
    [row] = json.loads(atelier(config, "run", "list", "--json").out)
    assert row["status"] == "interrupted"
    assert "atelier run resume 1" in row["message"]
    shown = atelier(config, "run", "status", "1")
    assert "interrupted" in shown.out and "atelier run resume 1" in shown.out


def test_a_run_lock_on_postgresql_is_an_advisory_lock_freed_with_its_connection(
        postgres_url: str, tmp_path: Path) -> None:
    with run_lock(postgres_url, tmp_path, 5):
        assert run_is_live(postgres_url, tmp_path, 5)  # another connection sees it held
        assert not run_is_live(postgres_url, tmp_path, 6)
    assert not run_is_live(postgres_url, tmp_path, 5)
    assert not list(tmp_path.iterdir())  # no lock files: the database holds the locks
