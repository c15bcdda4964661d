"""The studio store and run checkpoints, on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import pytest
from sqlalchemy import create_engine, inspect

from atelier.agents.calls import CallRecord
from atelier.config import Config
from atelier.store import Asset, Audit, Store, StoreError, database_url
from atelier.store.checkpoints import open_checkpointer
from atelier.store.errors import libpq_url, redact_url, sqlalchemy_url
from atelier.store.migrations import MIGRATIONS, m006_model_sha256
from atelier.store.models import TABLES
from atelier.studio import Studio
from atelier.workspace import Workspace

import postgres_helpers
from postgres_helpers import GUARDED_PASSWORD, GUARDED_USER, PostgresServer

HASH = "0x" + "ab" * 32
UINT256_MAX = str(2**256 - 1)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a blank database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'studio.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("store")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def new_run(store: Store, **overrides: Any) -> int:
    fields = {"goal_id": 1, "goal_title": "The Lighthouse Keepers", "episodes_planned": 2,
              "audit_every": 1} | overrides  # fmt: skip
    run_id = store.create_run(**fields).id
    assert run_id is not None
    return run_id


def call_record(task: str = "outline", **overrides: Any) -> CallRecord:
    fields: dict[str, Any] = {
        "agent": "scriptwriter", "task": task, "prompt_hash": HASH, "provider": "local",
        "model": "smollm2", "params": {"temperature": 0.7, "stop": ["\n\n"]}, "seed": 42,
        "prompt_tokens": 120, "completion_tokens": 80, "latency_ms": 12.5, "attempts": 2,
        "outcome": "ok", "problems": ("too long",), "started_at": 1_700_000_000.25,
    } | overrides  # fmt: skip
    return CallRecord(**fields)


def sheet(run_id: int, path: str = "run-1/ep-1/sheet-ana.svg", **overrides: Any) -> Asset:
    fields: dict[str, Any] = {
        "run_id": run_id, "episode": 1, "kind": "sheet", "path": path, "sha256": "00" * 32,
        "agent": "designer", "prompt_hash": HASH, "provider": "local", "model": "smollm2",
        "params": {"temperature": 0.2, "nested": {"a": [1, 2]}}, "seed": 7, "goal_id": 1,
        "proposal_ids": [UINT256_MAX],
    } | overrides  # fmt: skip
    return Asset(**fields)


def audit_row(run_id: int, index: int = 1, revision: int = 1, **overrides: Any) -> Audit:
    fields: dict[str, Any] = {
        "run_id": run_id, "index": index, "revision": revision, "after_episode": 1,
        "report_markdown": "# Audit 1\n\nThe designer drifts.", "report_hash": HASH,
        "proposed_prompts": {"designer": HASH},
    } | overrides  # fmt: skip
    return Audit(**fields)


# -- runs ---------------------------------------------------------------------------------


def test_runs_are_created_found_by_any_ref_listed_newest_first_and_updated(store: Store) -> None:
    first = store.create_run(goal_id=3, goal_title="Keepers", episodes_planned=4, audit_every=2)
    assert (first.status, first.message, first.episodes_done) == ("running", "", 0)
    assert first.thread_id == f"run-{first.id}"
    assert first.created_at.tzinfo is not None
    second_id = new_run(store)

    for ref in (first.id, str(first.id), f"run-{first.id}", f" run-{first.id} "):
        found = store.run(ref)  # type: ignore[arg-type]
        assert (found.id, found.goal_id, found.goal_title) == (first.id, 3, "Keepers")
        assert found.created_at == first.created_at  # aware UTC, microseconds kept
    assert [run.id for run in store.runs()] == [second_id, first.id]

    assert first.id is not None
    updated = store.update_run(first.id, status="paused", message="audit 1 is being voted on",
                               episodes_done=2)  # fmt: skip
    assert updated.updated_at > first.updated_at
    again = store.run(first.id)
    assert (again.status, again.message, again.episodes_done) == (
        "paused", "audit 1 is being voted on", 2)  # fmt: skip
    assert again.updated_at == updated.updated_at
    with pytest.raises(TypeError, match="colour"):
        store.update_run(first.id, colour="red")
    with pytest.raises(TypeError, match="id"):
        store.update_run(first.id, id=99)


def test_a_missing_run_is_reported_with_a_hint(store: Store) -> None:
    for ref in (7, "7", "run-7"):
        with pytest.raises(StoreError) as caught:
            store.run(ref)
        assert caught.value.message == f"no run {ref}"
        assert caught.value.hint == "`atelier run list` shows the runs"
    with pytest.raises(StoreError, match="no run run-x"):
        store.run("run-x")
    with pytest.raises(StoreError, match="no run 7"):
        store.update_run(7, status="done")
    with pytest.raises(StoreError, match="no run 7"):
        store.start_episode(7, 1, {})


# -- episodes -----------------------------------------------------------------------------


def test_episodes_start_idempotently_and_finish(store: Store) -> None:
    run_id = new_run(store)
    other_run = new_run(store)
    second = store.start_episode(run_id, 2, {"scriptwriter": HASH})
    first = store.start_episode(run_id, 1, {"scriptwriter": HASH})
    store.start_episode(other_run, 1, {})
    again = store.start_episode(run_id, 1, {"scriptwriter": HASH, "designer": HASH})
    assert again.id == first.id
    assert again.started_at == first.started_at
    assert again.prompt_hashes == {"scriptwriter": HASH, "designer": HASH}
    assert [(e.number, e.status) for e in store.episodes(run_id)] == [
        (1, "writing"),
        (2, "writing"),
    ]
    assert second.finished_at is None

    done = store.finish_episode(run_id, 1, title="The Light", summary="Ana climbs.",
                                findings=["designer drifted"])  # fmt: skip
    assert done.id == first.id
    assert (done.title, done.summary, done.findings, done.status) == (
        "The Light", "Ana climbs.", ["designer drifted"], "done")  # fmt: skip
    assert done.finished_at is not None and done.finished_at >= done.started_at  # type: ignore[operator]
    failed = store.finish_episode(run_id, 2, title="", summary="", findings=[], status="failed")
    assert failed.status == "failed"
    listed = store.episodes(run_id)
    assert [(e.number, e.status, e.prompt_hashes) for e in listed] == [
        (1, "done", {"scriptwriter": HASH, "designer": HASH}),
        (2, "failed", {"scriptwriter": HASH}),
    ]
    # Writing an episode again (a re-run node) starts it over.
    restarted = store.start_episode(run_id, 2, {"scriptwriter": HASH})
    assert (restarted.status, restarted.finished_at) == ("writing", None)
    assert len(store.episodes(other_run)) == 1


# -- assets -------------------------------------------------------------------------------


def test_assets_keep_provenance_and_the_same_path_updates_its_row(store: Store) -> None:
    run_id = new_run(store)
    stored = store.put_asset(sheet(run_id))
    assert stored.id is not None
    assert stored.params == {"temperature": 0.2, "nested": {"a": [1, 2]}}
    assert stored.proposal_ids == [UINT256_MAX]
    again = store.put_asset(sheet(run_id, sha256="11" * 32, seed=8))
    assert again.id == stored.id
    assert again.created_at == stored.created_at
    assert (again.sha256, again.seed) == ("11" * 32, 8)
    page = store.put_asset(sheet(run_id, "run-1/ep-2/page-1.svg", kind="page_svg", episode=2,
                                 agent=None, prompt_hash=None, params={}, seed=None))  # fmt: skip
    bible = store.put_asset(sheet(run_id, "run-1/bible.json", kind="bible", episode=None))
    other = store.put_asset(sheet(new_run(store)))  # same path, another run: another row
    assert len({stored.id, page.id, bible.id, other.id}) == 4

    assert [a.id for a in store.assets()] == [stored.id, page.id, bible.id, other.id]
    assert [a.id for a in store.assets(run_id)] == [stored.id, page.id, bible.id]
    assert [a.id for a in store.assets(run_id, episode=2)] == [page.id]
    assert [a.id for a in store.assets(run_id, kind="bible")] == [bible.id]
    assert store.assets(run_id, episode=1, kind="page_svg") == []
    assert page.id is not None
    fetched = store.asset(page.id)
    assert (fetched.path, fetched.agent, fetched.seed, fetched.goal_id) == (
        "run-1/ep-2/page-1.svg", None, None, 1)  # fmt: skip
    with pytest.raises(StoreError, match="no asset 999"):
        store.asset(999)
    for bad in ("/etc/passwd", "run-1/../../x", "run-1\\page.svg"):
        with pytest.raises(StoreError, match="not relative"):
            store.put_asset(sheet(run_id, bad))


# -- audits -------------------------------------------------------------------------------


def test_audits_are_idempotent_per_revision_and_the_latest_revision_wins(store: Store) -> None:
    run_id = new_run(store)
    assert store.latest_audit(run_id, 1) is None
    first = store.put_audit(audit_row(run_id))
    assert (first.status, first.proposal_id, first.revision) == ("open", None, 1)
    proposed = store.put_audit(audit_row(run_id, proposal_id=UINT256_MAX, proposal_number=3))
    assert proposed.id == first.id
    assert proposed.created_at == first.created_at
    assert (proposed.proposal_id, proposed.proposal_number) == (UINT256_MAX, 3)
    revised = store.put_audit(audit_row(run_id, revision=2, report_markdown="# Audit 1 (v2)"))
    later = store.put_audit(audit_row(run_id, index=2, after_episode=2))
    elsewhere = store.put_audit(audit_row(new_run(store)))
    assert len({first.id, revised.id, later.id, elsewhere.id}) == 4

    latest = store.latest_audit(run_id, 1)
    assert latest is not None and latest.id == revised.id
    assert latest.report_markdown == "# Audit 1 (v2)"
    assert [(a.index, a.revision) for a in store.audits(run_id)] == [(1, 1), (1, 2), (2, 1)]
    assert len(store.audits()) == 4
    assert first.id is not None
    assert store.audit(first.id).proposed_prompts == {"designer": HASH}
    assert store.audit(str(first.id)).proposal_id == UINT256_MAX
    executed = store.update_audit(first.id, status="executed")
    assert store.audit(first.id).status == executed.status == "executed"
    for ref in (999, "999", "x"):
        with pytest.raises(StoreError, match=f"no audit {ref}"):
            store.audit(ref)


# -- the model-call log -------------------------------------------------------------------


def test_model_calls_are_logged_per_run_and_episode(store: Store) -> None:
    run_id = new_run(store)
    store.record_call(run_id, None, call_record("bible"))
    store.record_call(run_id, 1, call_record("outline"))
    log = store.call_log(run_id, 2)
    log.record(call_record("panels", outcome="semantic", seed=None))
    store.record_call(new_run(store), 1, call_record("elsewhere"))

    calls = store.calls(run_id)
    assert [(c.episode, c.task) for c in calls] == [(None, "bible"), (1, "outline"),
                                                     (2, "panels")]  # fmt: skip
    first = calls[1]
    assert (first.agent, first.prompt_hash, first.provider, first.model, first.seed) == (
        "scriptwriter", HASH, "local", "smollm2", 42)  # fmt: skip
    assert first.params == {"temperature": 0.7, "stop": ["\n\n"]}
    assert (first.prompt_tokens, first.completion_tokens, first.attempts) == (120, 80, 2)
    assert (first.latency_ms, first.started_at) == (12.5, 1_700_000_000.25)
    assert (first.outcome, first.problems) == ("ok", ["too long"])
    assert (calls[2].outcome, calls[2].seed) == ("semantic", None)
    assert [c.task for c in store.calls(run_id, range(1, 2))] == ["outline"]
    assert [c.task for c in store.calls(run_id, range(1, 3))] == ["outline", "panels"]
    assert store.count_calls(run_id) == 3


def test_call_logs_and_assets_can_be_written_from_several_threads(store: Store) -> None:
    run_id = new_run(store)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def designer_branch(n: int) -> None:
        try:
            log = store.call_log(run_id, 1)
            start.wait()
            for i in range(15):
                log.record(call_record(f"sheet-{n}-{i}"))
                # Every branch also writes the same asset row: one row must come out.
                store.put_asset(sheet(run_id, "run-1/ep-1/shared.svg", seed=n))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=designer_branch, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tasks = [c.task for c in store.calls(run_id)]
    assert sorted(tasks) == sorted(f"sheet-{n}-{i}" for n in range(4) for i in range(15))
    assert len(store.assets(run_id)) == 1


# -- opening, migrations, errors ----------------------------------------------------------


def test_opening_again_keeps_the_data_and_migrates_nothing(store_url: str) -> None:
    with Store.open(store_url) as store:
        run_id = new_run(store)
    with Store.open(store_url) as store:
        assert store.run(run_id).goal_title == "The Lighthouse Keepers"
    engine = create_engine(sqlalchemy_url(store_url))
    with engine.connect() as conn:
        applied = conn.exec_driver_sql("SELECT name FROM _migrations").scalars().all()
    engine.dispose()
    assert applied == [m.__name__ for m in MIGRATIONS]


def test_calls_and_assets_logged_before_m006_read_with_no_model_hash(store_url: str) -> None:
    """A store written before the model file's hash was kept: m006 adds the columns, the
    old rows read as NULL (unknown), new rows carry the hash."""
    from atelier.store.migrations import applied_migrations

    engine = create_engine(sqlalchemy_url(store_url))
    before = MIGRATIONS[:MIGRATIONS.index(m006_model_sha256)]
    with engine.begin() as conn:
        applied_migrations.create(conn)
        for migration in before:
            migration(conn)
            conn.execute(applied_migrations.insert().values(
                name=migration.__name__, applied_at=datetime(2026, 1, 1)))
        conn.exec_driver_sql(
            "INSERT INTO model_calls (run_id, episode, agent, task, prompt_hash, provider, "
            "model, params, seed, prompt_tokens, completion_tokens, latency_ms, attempts, "
            "outcome, problems, started_at) VALUES (1, 1, 'scriptwriter', 'bible', 'h', "
            "'local', 'smollm2', '{}', NULL, 1, 1, 1.0, 1, 'ok', '[]', 1.0)")
        conn.exec_driver_sql(
            "INSERT INTO assets (run_id, episode, kind, path, sha256, params, goal_id, "
            "proposal_ids, created_at) VALUES (1, 1, 'bible', 'run-1/bible.json', 'ab', "
            "'{}', 1, '[]', '2026-01-01 00:00:00')")
    engine.dispose()
    with Store.open(store_url) as store:
        store.record_call(1, 1, call_record("outline", model_sha256="cd" * 32))
        assert [(c.task, c.model_sha256) for c in store.calls(1)] == [
            ("bible", None), ("outline", "cd" * 32)]
        [asset] = store.assets(1)
        assert asset.model_sha256 is None
        store.put_asset(sheet(1, model_sha256="cd" * 32))
        assert [a.model_sha256 for a in store.assets(1)] == [None, "cd" * 32]


def test_migrating_a_blank_database_gives_the_models_schema(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_engine(sqlalchemy_url(store_url))
    inspector = inspect(engine)
    dialect = engine.dialect
    assert set(inspector.get_table_names()) == {t.__tablename__ for t in TABLES} | {"_migrations"}

    def type_name(kind: Any) -> str:
        return {"DOUBLE PRECISION": "FLOAT"}.get(n := kind.compile(dialect=dialect), n)

    for model in TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        name = table.name
        columns = [(c["name"], type_name(c["type"]), c["nullable"])
                   for c in inspector.get_columns(name)]  # fmt: skip
        assert columns == [(c.name, type_name(c.type), c.nullable) for c in table.columns], name
        pk = inspector.get_pk_constraint(name)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns]
        uniques = {(u["name"], tuple(u["column_names"]))
                   for u in inspector.get_unique_constraints(name)}  # fmt: skip
        assert uniques == {
            (u.name, tuple(c.name for c in u.columns))
            for u in table.constraints
            if type(u).__name__ == "UniqueConstraint"
        }
        indexes = {(i["name"], tuple(i["column_names"]), bool(i["unique"]))
                   for i in inspector.get_indexes(name)
                   if not i.get("duplicates_constraint")}  # fmt: skip
        assert indexes == {(i.name, tuple(c.name for c in i.columns), bool(i.unique))
                           for i in table.indexes}  # fmt: skip
        foreign = {(tuple(f["constrained_columns"]), f["referred_table"])
                   for f in inspector.get_foreign_keys(name)}  # fmt: skip
        assert foreign == {(tuple(f.column_keys), f.referred_table.name)
                           for f in table.foreign_key_constraints}  # fmt: skip
    engine.dispose()


def test_sqlite_readers_do_not_wait_for_a_writer_and_writers_queue(tmp_path: Path) -> None:
    path = tmp_path / "studio.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        run_id = new_run(store)
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE runs SET status = 'done'")
        try:  # another process in the middle of a write: `run status` still reads
            assert store.run(run_id).status == "running"
        finally:
            writer.execute("COMMIT")
            writer.close()
        assert store.run(run_id).status == "done"

        # A writer waits for another instead of failing with "database is locked".
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        waiting = threading.Thread(target=store.update_run, args=(run_id,),
                                   kwargs={"status": "paused"})  # fmt: skip
        waiting.start()
        waiting.join(timeout=0.3)
        assert waiting.is_alive()
        writer.execute("COMMIT")
        writer.close()
        waiting.join(timeout=10)
        assert store.run(run_id).status == "paused"


UNREACHABLE = "postgresql://bob:hunter2@127.0.0.1:1/atelier"


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(UNREACHABLE)
    text = str(caught.value)
    assert "hunter2" not in text
    assert caught.value.message.startswith(
        "cannot use the studio database at postgresql://bob:***@127.0.0.1:1/atelier: "
    )
    assert "refused" in caught.value.message.lower()
    assert caught.value.hint is not None and "PostgreSQL server running" in caught.value.hint
    with pytest.raises(StoreError) as caught, open_checkpointer(UNREACHABLE, Path("unused")):
        pass
    assert "hunter2" not in str(caught.value)
    assert caught.value.message.startswith("cannot use the checkpoint database at ")


def test_a_wrong_password_is_named_but_never_shown(postgres_server: PostgresServer) -> None:
    database = postgres_server.create_database_named("auth")
    postgres_server.sql(f'GRANT ALL ON DATABASE "{database}" TO {GUARDED_USER}')
    wrong = postgres_server.url(database, GUARDED_USER, "not-the-password")
    with pytest.raises(StoreError) as caught:
        Store.open(wrong)
    assert "not-the-password" not in str(caught.value)
    assert "password authentication failed" in caught.value.message
    assert "password" in (caught.value.hint or "")
    right = postgres_server.url(database, GUARDED_USER, GUARDED_PASSWORD)
    with pytest.raises(StoreError, match="permission denied for schema public") as caught:
        Store.open(right)  # may log in, may not create tables
    assert "GRANT CREATE ON SCHEMA public" in (caught.value.hint or "")
    assert GUARDED_PASSWORD not in str(caught.value)
    postgres_server.sql(f"GRANT ALL ON SCHEMA public TO {GUARDED_USER}", database)
    with Store.open(right) as store:
        assert store.runs() == []
        assert GUARDED_PASSWORD not in repr(store)


def test_a_missing_database_or_a_bad_url_is_a_store_error(postgres_server: PostgresServer) -> None:
    with pytest.raises(StoreError, match='database "nowhere" does not exist') as caught:
        Store.open(postgres_server.url("nowhere"))
    assert "createdb" in (caught.value.hint or "")
    for bad in ("postgresql://bob:pw@localhost:notaport/db", "mysql://bob:pw@h/db", "nonsense"):
        with pytest.raises(StoreError) as caught:
            Store.open(bad)
        assert ":pw@" not in str(caught.value)


def test_urls_for_sqlalchemy_and_libpq_and_redaction(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / ".atelier")
    expected = f"sqlite:///{tmp_path / '.atelier' / 'studio.sqlite3'}"
    studio = Studio(config=Config(), workspace=workspace, config_path=tmp_path / "config.toml")
    assert studio.store_url == expected
    for url in ("postgres://u:p@db:5432/atelier", "postgresql://u:p@db:5432/atelier"):
        config = Config.model_validate({"storage": {"url": url}})
        assert database_url(config.storage.url, workspace.database_file) == \
            "postgresql+psycopg://u:p@db:5432/atelier"
        assert libpq_url(database_url(url, workspace.database_file)) == \
            "postgresql://u:p@db:5432/atelier"
    assert redact_url("postgresql://u:p@ss@db/x") == "postgresql://u:***@db/x"
    assert redact_url("postgres://u:p/s@db:5432/x") == "postgres://u:***@db:5432/x"
    assert redact_url("postgresql://db/x?user=u&password=pw&x=1") == (
        "postgresql://db/x?user=u&password=***&x=1")  # fmt: skip
    assert redact_url("postgresql://u@db/x") == "postgresql://u@db/x"


# -- checkpoints --------------------------------------------------------------------------


class Review(TypedDict, total=False):
    draft: str
    verdict: str


def review_graph(saver: Any) -> Any:
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import interrupt

    def write(state: Review) -> Review:
        return {"draft": "episode 1"}

    def audit(state: Review) -> Review:
        return {"verdict": interrupt({"question": f"approve {state['draft']}?"})}

    graph = StateGraph(Review)
    graph.add_node("write", write)
    graph.add_node("audit", audit)
    graph.add_edge(START, "write")
    graph.add_edge("write", "audit")
    graph.add_edge("audit", END)
    return graph.compile(checkpointer=saver)


@pytest.fixture(params=["sqlite", "postgres"])
def checkpoint_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return ""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database("checkpoints")


def test_a_run_interrupted_in_one_process_resumes_in_another(
    checkpoint_url: str, tmp_path: Path
) -> None:
    from langgraph.types import Command

    sqlite_path = tmp_path / "checkpoints.sqlite3"
    thread = {"configurable": {"thread_id": "run-1"}}
    with open_checkpointer(checkpoint_url, sqlite_path) as saver:
        paused = review_graph(saver).invoke({}, thread)
    assert paused["draft"] == "episode 1"
    [question] = paused["__interrupt__"]
    assert question.value == {"question": "approve episode 1?"}

    with open_checkpointer(checkpoint_url, sqlite_path) as saver:  # a new process
        graph = review_graph(saver)
        assert graph.get_state(thread).next == ("audit",)
        done = graph.invoke(Command(resume="executed"), thread)
        assert done == {"draft": "episode 1", "verdict": "executed"}
        assert graph.get_state(thread).next == ()
    assert sqlite_path.exists() == (checkpoint_url == "")


def test_times_are_utc(store: Store) -> None:
    before = datetime.now(UTC)
    run = store.run(new_run(store))
    assert run.created_at.tzinfo == UTC
    assert before <= run.created_at <= datetime.now(UTC)


def test_postgres_tests_skip_without_postgres_unless_it_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres_helpers, "find_postgres_bin", lambda: None)
    monkeypatch.delenv("ATELIER_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL is not installed"):
        postgres_helpers.running_postgres().__enter__()
    monkeypatch.setenv("ATELIER_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="ATELIER_REQUIRE_POSTGRES=1"):
        postgres_helpers.running_postgres().__enter__()


def test_a_damaged_sqlite_store_is_refused_with_what_to_do(tmp_path: Path) -> None:
    import random

    path = tmp_path / "studio.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    data = bytearray(path.read_bytes())
    data[2 * 4096:4 * 4096] = random.Random(3).randbytes(2 * 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught, Store.open(f"sqlite:///{path}") as store:
        store.runs()
    assert "malformed" in caught.value.message or "not a database" in caught.value.message
    assert "restore it from a backup" in (caught.value.hint or "")
