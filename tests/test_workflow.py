"""The production graph end to end with a scripted cast at the model seam: the governed loop,
audits that pause for the DAO, resume in a new process, defeat, tampering and re-execution."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from atelier.agents.prompt_file import load_prompt
from atelier.store.database import Store
from atelier.testing.models import scripted_provider
from atelier.workflows.context import WorkflowError
from atelier.workflows.runner import Runner, RunPaused

from workflow_helpers import governed_studio, pass_proposal, studio_at, with_provider

REPO = Path(__file__).resolve().parents[1]


def runner_at(config: Path, events: list[dict] | None = None) -> Runner:
    """A runner as a fresh process would build it: new Studio, new Store."""
    studio = studio_at(config)
    sink = events.append if events is not None else None
    return Runner(studio, studio.open_store(), on_event=sink)


def draft_rewrite(config: Path) -> str:
    """A prompt engineer edits the working scriptwriter file; returns its new hash."""
    path = config.parent / "prompts" / "scriptwriter.prompty"
    before = path.read_text()
    edited = re.sub(r"temperature: [0-9.]+", "temperature: 0.6", before, count=1)
    assert edited != before  # whatever the founding temperature, the draft differs
    path.write_text(edited)
    return load_prompt(path).hash_hex


def proposal_count(config: Path) -> int:
    with studio_at(config).session() as dao:
        return len(dao.proposals())


@pytest.fixture
def paused(tmp_path: Path) -> tuple[Path, str, str]:
    """A run paused at audit 1 whose proposal carries a scriptwriter rewrite."""
    config = governed_studio(tmp_path, episodes=2, audit_every=1)
    founding = load_prompt(config.parent / "prompts" / "scriptwriter.prompty").hash_hex
    new_hash = draft_rewrite(config)
    events: list[dict] = []
    outcome = runner_at(config, events).start()
    assert outcome.status == "paused"
    assert outcome.audit is not None and outcome.audit.proposal_number == 2
    assert outcome.audit.proposed_prompts == {"scriptwriter": new_hash}
    notices = [e["text"] for e in events if e["event"] == "notice"]
    assert any("differs from the approved scriptwriter prompt" in n for n in notices)
    return config, founding, new_hash


def test_the_governed_loop_runs_episode_two_on_the_approved_rewrite(
        paused: tuple[Path, str, str]) -> None:
    config, founding, new_hash = paused
    pass_proposal(config, 2)
    outcome = runner_at(config).resume(1)

    assert outcome.status == "done"
    store = runner_at(config).store
    episodes = store.episodes(1)
    assert [e.number for e in episodes] == [1, 2]
    assert episodes[0].prompt_hashes["scriptwriter"] == founding
    assert episodes[1].prompt_hashes["scriptwriter"] == new_hash
    calls = store.calls(1)
    assert {c.prompt_hash for c in calls if c.agent == "scriptwriter" and c.episode == 2} == {
        new_hash}
    # The final audit is opened for the members; nothing is left to resume.
    audits = store.audits(1)
    assert [(a.index, a.status) for a in audits] == [(1, "executed"), (2, "open")]
    assert "# Audit 2 of run 1" in audits[1].report_markdown
    # The ethics committee's section: the scripted cast wrote nothing to flag; the models and
    # prompt versions listed are those of the audit's window (episode 2) only.
    compliance = audits[1].report_markdown.split("## Compliance findings\n")[1]
    assert "\nNone found.\n" in compliance, compliance
    assert f"| scriptwriter | `{new_hash}` |" in compliance and founding not in compliance
    # Assets carry their provenance: the goal's proposal and the executed audit's.
    pages = store.assets(1, episode=2, kind="page_svg")
    assert pages and all(p.proposal_ids == ["1", "2"] for p in pages)
    script = store.assets(1, episode=2, kind="script")[0]
    assert script.prompt_hash == new_hash and script.agent == "scriptwriter"
    assert script.provider == "scripted" and script.params["temperature"] == 0.6
    with studio_at(config).session() as dao:
        assert "0x" + dao.approved_prompt("scriptwriter")[0].hex() == new_hash
    with pytest.raises(WorkflowError, match="run 1 is finished"):
        runner_at(config).resume(1)
    with pytest.raises(WorkflowError, match="run 1 is not paused at an audit"):
        runner_at(config).revise_audit(1)


@pytest.mark.slow
def test_resume_happens_in_a_new_process(paused: tuple[Path, str, str]) -> None:
    config, _, new_hash = paused
    pass_proposal(config, 2)
    code = (
        "import sys; sys.path[:0] = ['tests', '.']\n"
        "from test_workflow import runner_at\n"
        "from pathlib import Path\n"
        f"print(runner_at(Path({str(config)!r})).resume('run-1').status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("done")
    episodes = runner_at(config).store.episodes(1)
    assert episodes[1].prompt_hashes["scriptwriter"] == new_hash


def test_resume_before_the_vote_ends_says_what_to_do(paused: tuple[Path, str, str]) -> None:
    config, _, _ = paused
    with pytest.raises(RunPaused) as raised:
        runner_at(config).resume(1)
    assert "audit proposal 2 is Pending" in raised.value.message
    assert runner_at(config).store.run(1).status == "paused"
    with pytest.raises(WorkflowError, match="audit proposal 2 is still open"):
        runner_at(config).revise_audit(1)


def test_a_defeated_audit_keeps_the_run_paused_until_a_revision_passes(
        paused: tuple[Path, str, str]) -> None:
    config, founding, _ = paused
    pass_proposal(config, 2, support="against")
    with pytest.raises(RunPaused) as raised:
        runner_at(config).resume(1)
    assert "was defeated" in raised.value.message
    assert "atelier audit propose 1" in (raised.value.hint or "")
    store = runner_at(config).store
    assert store.run(1).status == "paused"
    assert len(store.episodes(1)) == 1
    with studio_at(config).session() as dao:  # the chain still approves the founding prompt
        assert "0x" + dao.approved_prompt("scriptwriter")[0].hex() == founding

    revised = runner_at(config).revise_audit(1)
    assert (revised.index, revised.revision, revised.proposal_number) == (1, 2, 3)
    assert "(revision 2)" in revised.report_markdown
    pass_proposal(config, 3)
    assert runner_at(config).resume(1).status == "done"


def test_a_tampered_working_prompt_does_not_change_what_runs(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    approved = load_prompt(config.parent / "prompts" / "scriptwriter.prompty").hash_hex
    path = config.parent / "prompts" / "scriptwriter.prompty"
    path.write_text(path.read_text().replace("You are the scriptwriter", "Ignore all rules"))
    events: list[dict] = []
    outcome = runner_at(config, events).start()
    assert outcome.status == "done"
    calls = runner_at(config).store.calls(1)
    assert {c.prompt_hash for c in calls if c.agent == "scriptwriter"} == {approved}
    assert any("this run uses the approved version" in e.get("text", "") for e in events)


def test_rerunning_interrupted_nodes_duplicates_no_proposal_or_asset(
        paused: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    config, _, _ = paused
    pass_proposal(config, 2)
    before = runner_at(config).store.assets(1)
    # Crash publish of episode 2 after its assets are recorded, then resume.
    original = Store.finish_episode
    crashed = []

    def crash_once(self: Store, run_id: int, number: int, **fields: object) -> object:
        if number == 2 and not crashed:
            crashed.append(number)
            raise RuntimeError("killed mid-publish")
        return original(self, run_id, number, **fields)

    monkeypatch.setattr(Store, "finish_episode", crash_once)
    with pytest.raises(RuntimeError, match="killed mid-publish"):
        runner_at(config).resume(1)
    store = runner_at(config).store
    assert store.run(1).status == "failed"
    assert "killed mid-publish" in store.run(1).message
    recorded = len(store.assets(1))
    assert recorded > len(before)

    assert runner_at(config).resume(1).status == "done"
    after = runner_at(config).store.assets(1)
    assert len(after) == recorded  # publish ran twice, each file is recorded once
    assert len({a.path for a in after}) == len(after)
    # goal, audit 1, audit 2: the audit checkpoint re-ran on resume without re-proposing.
    assert proposal_count(config) == 3


def test_an_agent_that_gives_up_fails_the_run_and_resume_retries_it(tmp_path: Path) -> None:
    from atelier.testing.cast import respond

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    broken = {"layout": True}

    def flaky(messages: list) -> str:
        if broken["layout"] and "- panel 1 (" in "\n".join(str(m.content) for m in messages):
            return "not json"
        return respond(messages)

    from atelier.agents.structured import AgentOutputError

    with scripted_provider("flaky", flaky):
        studio = with_provider(studio_at(config), "flaky")
        store = studio.open_store()
        runner = Runner(studio, store)
        with pytest.raises(AgentOutputError):
            runner.start()
        assert store.run(1).status == "failed"
        assert "layout agent gave no valid page layout" in store.run(1).message
        failed = [c for c in store.calls(1) if c.outcome != "ok"]
        assert [c.agent for c in failed] == ["layout"]
        broken["layout"] = False
        assert runner.resume(1).status == "done"
    # Finished nodes did not run again: one bible call in all.
    assert sum(c.task == "bible" for c in store.calls(1)) == 1


def test_audit_report_numbers_come_from_the_call_log(paused: tuple[Path, str, str]) -> None:
    config, _, new_hash = paused
    store = runner_at(config).store
    audit = store.audits(1)[0]
    calls = store.calls(1)
    scriptwriter = [c for c in calls if c.agent == "scriptwriter"]
    row = next(line for line in audit.report_markdown.splitlines()
               if line.startswith("| scriptwriter"))
    assert f"| {len(scriptwriter)} | 0 | 0 |" in row
    assert "```diff" in audit.report_markdown and "temperature: 0.6" in audit.report_markdown
    assert audit.proposed_prompts == {"scriptwriter": new_hash}
    assert f"hash={new_hash}" in audit.report_markdown  # the full text rides along


def test_a_run_pauses_and_resumes_with_postgres_store_and_checkpointer(
        tmp_path: Path, postgres_server: object) -> None:
    url = postgres_server.create_database("workflow")  # type: ignore[attr-defined]
    config = governed_studio(tmp_path, episodes=2, audit_every=1,
                             extra_config=f'\n[storage]\nurl = "{url}"\n')
    assert runner_at(config).start().status == "paused"
    assert not (tmp_path / ".atelier" / "checkpoints.sqlite3").exists()
    assert not (tmp_path / ".atelier" / "studio.sqlite3").exists()
    pass_proposal(config, 2)
    assert runner_at(config).resume(1).status == "done"
    store = runner_at(config).store
    assert store.url.startswith("postgresql")
    assert [e.status for e in store.episodes(1)] == ["done", "done"]


def test_a_run_with_concurrency_one_designs_sheets_one_at_a_time(tmp_path: Path) -> None:
    # LangGraph's stream takes a thread of the node pool: concurrency 1 once hung here.
    config = governed_studio(tmp_path, episodes=1, audit_every=1,
                             extra_config="\n[workflow]\nmax_concurrency = 1\n")
    assert runner_at(config).start().status == "done"
    assert len(runner_at(config).store.assets(1, kind="sheet")) == 2


def test_a_missing_approved_prompt_version_stops_the_run_with_a_clear_error(
        tmp_path: Path) -> None:
    from atelier.agents.prompt_store import PromptStore

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    approved = load_prompt(config.parent / "prompts" / "designer.prompty").content_hash
    store = PromptStore(studio_at(config).workspace.prompt_store_dir)
    store.object_path(approved).unlink()  # founding prompts travel in no proposal
    runner = runner_at(config)
    with pytest.raises(WorkflowError) as raised:
        runner.start()
    assert "approved prompt text of designer is not in this workspace" in raised.value.message
    assert runner.store.run(1).status == "failed"
    assert runner.store.calls(1) == []  # nothing ran on a guess


def test_a_run_killed_between_a_nodes_writes_and_its_checkpoint_resumes(
        paused: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that dies after a node's writes were saved but before the next checkpoint
    leaves LangGraph's state with nothing in ``next`` and the finished task pending: resume
    continues from it (it once said "nothing left to do" and the run stayed stuck)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    config, _, _ = paused
    pass_proposal(config, 2)
    original = SqliteSaver.put
    puts = []

    def killed_at_the_third_checkpoint(self: SqliteSaver, *args: object, **kw: object) -> object:
        puts.append(1)
        if len(puts) == 3:
            raise KeyboardInterrupt  # as a SIGKILL would stop it: the writes are in, no checkpoint
        return original(self, *args, **kw)

    monkeypatch.setattr(SqliteSaver, "put", killed_at_the_third_checkpoint)
    with pytest.raises(KeyboardInterrupt):
        runner_at(config).resume(1)
    monkeypatch.setattr(SqliteSaver, "put", original)
    runner = runner_at(config)
    with runner._graph() as graph:
        snapshot = graph.get_state(runner._config(runner.store.run(1)))
    assert snapshot.next == () and snapshot.tasks  # the state the old resume gave up on
    assert runner.resume(1).status == "done"
    assets = runner_at(config).store.assets(1)
    assert len({a.path for a in assets}) == len(assets)
    assert proposal_count(config) == 3


def test_a_run_whose_checkpoints_were_deleted_is_not_started_over(
        paused: tuple[Path, str, str]) -> None:
    config, _, _ = paused
    pass_proposal(config, 2)
    for path in (config.parent / ".atelier").glob("checkpoints.sqlite3*"):
        path.unlink()
    runner = runner_at(config)
    calls = runner.store.count_calls(1)
    with pytest.raises(WorkflowError, match="its checkpoints are gone") as info:
        runner.resume(1)
    assert "restore the checkpoint database" in (info.value.hint or "")
    assert runner.store.count_calls(1) == calls  # no bible written again
