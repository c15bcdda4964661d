"""The graph served by LangGraph's own server (`langgraph dev`, in-memory, offline) and driven
through its SDK: a run pauses at the audit interrupt and resumes after the DAO executes it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workflow_helpers import governed_studio, pass_proposal, studio_at

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    if not LANGGRAPH.exists():
        pytest.skip("langgraph-cli is not installed (dev dependency)")
    folder = tmp_path / "server"
    folder.mkdir()
    (folder / "langgraph.json").write_text(json.dumps({
        "dependencies": [str(REPO)],
        # The graph langgraph.json serves; the studio's config selects the scripted cast.
        "graphs": {"studio": str(REPO / json.loads(
            (REPO / "langgraph.json").read_text())["graphs"]["studio"])},
    }))
    port = _free_port()
    env = {**os.environ, "LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)])}
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--allow-blocking",
         "--port", str(port), "--config", "langgraph.json"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("langgraph dev did not start:\n" + (folder / "server.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_the_served_graph_pauses_at_the_audit_and_resumes(tmp_path: Path, server: str) -> None:
    from langgraph_sdk import get_sync_client

    from cli_helpers import atelier

    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    studio = studio_at(config)
    created = atelier(config, "run", "create", "--json")  # the run's row, not driven here
    assert created.code == 0, created.err
    run = json.loads(created.out)
    assert run["status"] == "created"
    assert run["graph_input"] == {"run_id": run["id"], "goal_id": 1, "episodes": 2}
    context = {"config_path": str(config), "workspace": str(studio.workspace.root)}
    client = get_sync_client(url=server)
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "studio", context=context, input=run["graph_input"])
    state = client.threads.get_state(thread["thread_id"])
    [interrupt] = state["interrupts"]
    assert interrupt["value"] == {"run_id": run["id"], "audit": 1, "proposal": 2}
    assert state["next"] == ["audit_checkpoint"]

    pass_proposal(config, 2)
    final = client.runs.wait(thread["thread_id"], "studio", context=context,
                             command={"resume": {"proposal": "2"}})
    assert final["episode"] == 3
    with studio.open_store() as store:
        assert [e.status for e in store.episodes(run["id"])] == ["done", "done"]
        assert store.run(run["id"]).status == "done"  # `run list` knows it ended
        assert [a.proposal_number for a in store.audits(run["id"])] == [2, 3]
