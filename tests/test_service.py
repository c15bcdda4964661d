"""`atelier serve`: the studio acts when the DAO decides (scripted cast at the model seam, the
embedded chain): a goal executed starts a run, an audit executed resumes it, a closed
ballot resumes it; its HTTP face; a killed service loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from atelier.governance.accounts import dev_signer
from atelier.service.http import create_app
from atelier.service.loop import StudioService
from atelier.testing import lighthouse
from atelier.workflows.runner import Runner

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, pass_proposal, studio_at

REPO = Path(__file__).resolve().parents[1]


def service_for(config: Path, **kwargs: object) -> StudioService:
    return StudioService(studio_at(config), config.parent / ".atelier" / "service-cursor.json",
                         **kwargs)  # type: ignore[arg-type]


def tick_and_wait(service: StudioService) -> list[str]:
    jobs = service.tick()
    service.join(120)
    return [job.key for job in jobs]


def propose_goal(config: Path, title: str) -> None:
    ok(atelier(config, "goal", "propose", "--title", title, "--brief", lighthouse.BRIEF,
               "--episodes", "2", "--audit-every", "1"))


def test_a_goal_executed_while_serving_starts_a_run_and_an_executed_audit_resumes_it(
        tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    service = service_for(config)
    assert tick_and_wait(service) == []  # goal 1 was approved before the service: not ours
    assert service.state.goal_cursor == 1
    propose_goal(config, "The Second Season")
    pass_proposal(config, 2)  # goal 2 executes while the service runs
    assert tick_and_wait(service) == ["start:2"]
    store = service.store()
    [run] = store.runs()
    assert (run.goal_id, run.status, run.episodes_done) == (2, "paused", 1)
    assert tick_and_wait(service) == []  # nothing new: no second run, no resume
    assert service.state.waits == {run.id: "audit proposal 3"}
    pass_proposal(config, 3)  # the members approve audit 1
    assert tick_and_wait(service) == [f"resume:{run.id}"]
    run = store.run(run.id)
    assert run.episodes_done == 2 and run.status == "done"
    assert len(store.runs()) == 1 and service.state.jobs_failed == 0
    service.close()


def test_a_ballot_that_every_member_voted_on_resumes_the_run(tmp_path: Path) -> None:
    from atelier.workflows.community import sign_curation_vote

    config = governed_studio(tmp_path, episodes=1, audit_every=1,
                             curation='\n[curation]\nvariants = 2\nwindow = "1h"\n')
    (config.parent / ".atelier" / "service-cursor.json").write_text('{"goal": 0}\n')
    service = service_for(config)
    assert tick_and_wait(service) == ["start:1"]  # the cursor says goal 1 is new
    store = service.store()
    assert store.run(1).status == "paused"
    [ballot] = store.ballots(1)
    assert tick_and_wait(service) == []  # open, nobody voted
    assert service.state.waits == {1: f"curation ballot {ballot.id}"}
    studio = studio_at(config)
    for member in ("alice", "bob", "carol"):
        sign_curation_vote(studio, store, dev_signer(member), ballot, 1)
    assert tick_and_wait(service) == ["resume:1"]
    assert store.ballot(ballot.id).winner == 1
    assert store.run(1).episodes_done == 1
    service.close()


def test_http_health_status_and_metrics(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    (config.parent / ".atelier" / "service-cursor.json").write_text('{"goal": 0}\n')
    service = service_for(config)
    assert tick_and_wait(service) == ["start:1"]
    assert tick_and_wait(service) == []  # the run exists: the cursor moves past goal 1
    checks = {"chain": lambda: None, "store": lambda: None, "model": lambda: "no model file"}
    client = TestClient(create_app(service, checks))
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"ok": False, "checks": {"chain": "ok", "store": "ok",
                                                     "model": "no model file"}}
    assert "default-src 'none'" in health.headers["content-security-policy"]
    status = client.get("/status").json()
    assert [(r["id"], r["status"], r["waits_for"]) for r in status["runs"]] == [
        (1, "done", None)]
    assert status["runs"][0]["tokens"] > 0 and status["service"]["goal_cursor"] == 1
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'atelier_runs{status="done"} 1.0' in text
    assert "atelier_episodes_published_total 1.0" in text
    assert 'atelier_model_calls_total{agent="scriptwriter",outcome="ok"}' in text
    locked = TestClient(create_app(service, checks, token="s3cret"))
    assert locked.get("/status").status_code == 401
    assert locked.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert locked.get("/status", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert locked.get("/healthz").status_code == 503  # probes need no token
    service.close()


def test_serving_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    refused = atelier(config, "serve", "--host", "0.0.0.0")
    assert refused.code == 2 and "Traceback" not in refused.err
    assert "needs an auth token" in refused.err and "ATELIER_SERVE_TOKEN" in refused.err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ATELIER_SCRIPTED_LATENCY_S": "0.05"}
    return subprocess.Popen(
        [sys.executable, "-m", "atelier", "--config", str(config), "serve", "--port",
         str(port), "--log-json"], stdout=subprocess.DEVNULL, stderr=log.open("ab"), env=env,
        cwd=REPO)


def _read_one(config: Path, database: str, query: str) -> object:
    """One value read from a workspace database, read-only (a killed writer may have left
    it mid-transaction: SQLite's journal keeps it whole)."""
    import sqlite3

    path = config.parent / ".atelier" / database
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(query).fetchone()
    except sqlite3.OperationalError:  # its tables are not there yet
        return None
    return row[0] if row else None


def _checkpoints(config: Path) -> int:
    return int(_read_one(config, "checkpoints.sqlite3", "SELECT count(*) FROM checkpoints")
               or 0)


def _run_status(config: Path) -> object:
    return _read_one(config, "studio.sqlite3", "SELECT status FROM runs WHERE id = 1")


def _wait_for(predicate: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not reached in {timeout} s")


@pytest.mark.slow
def test_a_service_killed_at_every_checkpoint_of_a_run_finishes_it_as_if_never_killed(
        tmp_path: Path) -> None:
    """SIGKILL the service once each checkpoint of a run is written (at every node boundary,
    and inside the next node when it is already under way), restart it each time; the run
    ends with the files, proposals and audits of a run nobody killed, none twice."""
    (tmp_path / "calm").mkdir()  # the run nobody kills: what to expect, and how many steps
    calm = governed_studio(tmp_path / "calm", episodes=2, audit_every=2)
    Runner(studio_at(calm), studio_at(calm).open_store()).start()
    steps = _checkpoints(calm)
    config = governed_studio(tmp_path, episodes=2, audit_every=2)
    config.write_text(config.read_text() + '\n[service]\npoll_interval = "1s"\n')
    (config.parent / ".atelier" / "service-cursor.json").write_text('{"goal": 0}\n')
    log, port = tmp_path / "serve.log", _free_port()
    kills = []
    for target in range(1, steps):
        served = _serve(config, port, log)
        try:
            _wait_for(lambda n=target: _checkpoints(config) >= n or _run_status(config) == "done",
                      120)
        finally:
            served.kill()  # SIGKILL: no goodbye
            served.wait()
        if _run_status(config) == "done":
            break
        kills.append((_checkpoints(config), _run_status(config)))
    assert len(kills) >= steps * 2 // 3, (steps, kills)  # most landed before the run ended
    last = _serve(config, port, log)
    try:
        _wait_for(lambda: _run_status(config) == "done", 180)
        last.send_signal(signal.SIGTERM)
        assert last.wait(60) == 0
    finally:
        last.kill()
    studio = studio_at(config)
    with studio.open_store() as store:
        [run] = store.runs()
        assert run.episodes_done == 2
        assets = store.assets(1)
        assert len({a.path for a in assets}) == len(assets)
        assert [a.index for a in store.audits(1)] == [1]
    # The same as the run nobody killed: the same files, and the same agents' work in them.
    with studio_at(calm).open_store() as store:
        expected = store.assets(1)
    assert sorted(a.path for a in assets) == sorted(a.path for a in expected)
    model_work = {"bible", "outlines", "script", "sheet", "layout"}
    written = {(a.path, a.sha256) for a in assets if a.kind in model_work}
    assert len(written) >= 8 and written == {
        (a.path, a.sha256) for a in expected if a.kind in model_work}
    with studio.session() as dao:
        assert len(dao.proposals()) == 2  # the goal and the one audit: nothing twice
        assert len(dao.votes()) == 3  # the goal's three votes, none added
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    resumed = [e for e in events
               if e["event"] == "job" and e.get("why") == "its process died mid-run"]
    assert resumed, "no restart found the dead run"
    assert any(e["event"] == "service stopped" for e in events)


def test_a_stop_request_ends_the_run_between_nodes_and_resume_finishes_it(
        tmp_path: Path) -> None:
    """SIGTERM sets the service's stop event: the node running finishes, the next one does
    not start; the run is "stopped" with its checkpoint saved and continues later."""
    import threading

    from atelier.testing.models import scripted_provider
    from atelier.testing.studio import with_provider
    from atelier.workflows.context import RunStopped
    from atelier.workflows.runner import Runner

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    stop = threading.Event()
    nodes: list[str] = []

    def on_event(event: dict) -> None:
        nodes.append(event["event"])
        if event["event"] == "episode":  # inside outline_episode: stop after it
            stop.set()

    with scripted_provider("stoppable") as name:
        studio = with_provider(studio_at(config), name)
        store = studio.open_store()
        with pytest.raises(RunStopped):
            Runner(studio, store, on_event=on_event, stop=stop).start()
        assert store.run(1).status == "stopped"
        assert store.episodes(1)[0].status == "writing"  # outlined, not scripted
        assert not [c for c in store.calls(1) if c.agent == "layout"]
        assert Runner(studio, store).resume(1).status == "done"
        assert store.run(1).episodes_done == 1


def _set_goal_active(config: Path, goal: int, active: bool) -> None:
    """A proposal pausing (or resuming) a goal, passed by the founding members."""
    from atelier.governance.lifecycle import Ballot
    from atelier.governance.lifecycle import pass_proposal as drive

    with studio_at(config).session() as dao:
        proposal = dao.propose(dev_signer("alice"),
                               [dao.registry_action("setGoalActive", goal, active)],
                               f"# {'Resume' if active else 'Pause'} goal {goal}")
        drive(dao, proposal, [Ballot(dev_signer(m), "for") for m in ("alice", "bob", "carol")],
              executor=dev_signer("alice"))


def test_a_goal_paused_by_proposal_stops_its_run_at_the_next_node_until_resumed(
        tmp_path: Path) -> None:
    import threading

    from atelier.testing.cast import respond
    from atelier.testing.models import scripted_provider
    from atelier.testing.studio import with_provider

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    (config.parent / ".atelier" / "service-cursor.json").write_text('{"goal": 0}\n')
    in_a_call, go_on = threading.Event(), threading.Event()

    def held_once(messages: list) -> str:
        if not in_a_call.is_set():
            in_a_call.set()
            assert go_on.wait(60)
        return respond(messages)

    with scripted_provider("held", held_once) as name:
        service = StudioService(with_provider(studio_at(config), name),
                                config.parent / ".atelier" / "service-cursor.json")
        assert [j.key for j in service.tick()] == ["start:1"]
        assert in_a_call.wait(60)  # the run is inside its first node's model call
        _set_goal_active(config, 1, False)  # the DAO pauses the goal meanwhile
        service.tick()
        go_on.set()  # the node in progress finishes; the next one does not start
        service.join(60)
        store = service.store()
        run = store.run(1)
        assert run.status == "stopped" and "goal 1 was paused by a proposal" in run.message
        calls = store.count_calls(1)
        assert tick_and_wait(service) == []  # nothing resumes while the goal is paused
        assert service.state.waits == {1: "goal 1 to be resumed by a proposal"}
        _set_goal_active(config, 1, True)
        assert tick_and_wait(service) == ["resume:1"]
        assert store.run(1).status == "done" and store.count_calls(1) > calls
        service.close()


def test_a_run_paused_on_its_budget_resumes_when_a_proposal_raises_it(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    ok(atelier(config, "goal", "propose", "--title", "Tight", "--brief", lighthouse.BRIEF,
               "--episodes", "1", "--audit-every", "1", "--token-budget", "2500"))
    service = service_for(config)
    assert tick_and_wait(service) == []  # goals 1 and 2 (proposed, not yet executed): none new
    pass_proposal(config, 2)
    assert tick_and_wait(service) == ["start:2"]
    store = service.store()
    assert store.run(1).status == "budget"
    assert tick_and_wait(service) == []
    assert service.state.waits == {1: "a budget proposal for goal 2"}
    ok(atelier(config, "budget", "propose", "2", "--tokens", "500000"))
    pass_proposal(config, 3)
    assert tick_and_wait(service) == ["resume:1"]
    assert store.run(1).status == "done"
    service.close()


@pytest.mark.anvil
def test_the_service_drives_a_studio_on_postgresql_and_anvil(
        tmp_path: Path, postgres_server: object) -> None:
    """What deploy/compose.yaml runs, without Docker: the store and the checkpoints in
    PostgreSQL, the DAO on a real node; a goal executed starts a run, an audit executed
    resumes it, and the run lock is PostgreSQL's."""
    from atelier.governance.chain.anvil import running_anvil

    url = postgres_server.create_database("service")  # type: ignore[attr-defined]
    with running_anvil() as rpc:
        config = governed_studio(tmp_path, episodes=2, audit_every=1, extra_config=(
            f'\n[storage]\nurl = "{url}"\n\n[chain]\nkind = "rpc"\nrpc_url = "{rpc}"\n'))
        (config.parent / ".atelier" / "service-cursor.json").write_text('{"goal": 0}\n')
        service = service_for(config)
        assert tick_and_wait(service) == ["start:1"]
        store = service.store()
        assert store.url.startswith("postgresql") and store.run(1).status == "paused"
        workspace = config.parent / ".atelier"  # runs and checkpoints are in PostgreSQL
        assert not (workspace / "studio.sqlite3").exists()
        assert not (workspace / "checkpoints.sqlite3").exists()
        pass_proposal(config, 2)
        assert tick_and_wait(service) == ["resume:1"]
        assert store.run(1).status == "done" and service.state.goal_cursor == 1
        service.close()
