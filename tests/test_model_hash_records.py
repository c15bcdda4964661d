"""The model file's sha256 goes wherever the model is named: every call log entry and every
asset's provenance (None for a served model, whose weights only its server knows)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pydantic import BaseModel

from atelier.agents.calls import (
    CallRecord,
    JsonlCallLog,
    MemoryCallLog,
)
from atelier.agents.context import AgentContext
from atelier.agents.models.factory import ChatModelHandle
from atelier.agents.models.providers import register_provider, unregister_provider
from atelier.agents.prompt_file import load_prompt
from atelier.agents.structured import generate
from atelier.store.database import Store
from atelier.testing.models import scripted_handle
from atelier.testing.scripted_model import ScriptedChatModel
from atelier.workflows.runner import Runner

from prompt_helpers import TINY
from workflow_helpers import governed_studio, studio_at, with_provider

SHA = "ab" * 32


class Said(BaseModel):
    said: str


def _record(**changes: object) -> CallRecord:
    record = CallRecord(agent="layout", task="t", prompt_hash="0x00", provider="local",
                        model="m.gguf", params={}, seed=None, prompt_tokens=1,
                        completion_tokens=1, latency_ms=1.0, attempts=1, outcome="ok")
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def test_an_agent_call_on_a_model_file_logs_its_sha256(tmp_path: Path) -> None:
    model = ScriptedChatModel()
    model.enqueue('{"said": "hi"}')
    handle = ChatModelHandle(model=model, provider="local", model_name="m.gguf",
                             structured_mode="none", model_sha256=SHA)
    log = MemoryCallLog()
    (tmp_path / "tiny.prompty").write_text(TINY)
    ctx = AgentContext(prompt=load_prompt(tmp_path / "tiny.prompty"), handle=handle, log=log)
    generate(agent="layout", task="t", prompt=ctx.prompt, handle=ctx.handle, inputs={},
             schema=Said, log=ctx.log)
    [record] = log.records
    assert (record.model, record.model_sha256) == ("m.gguf", SHA)
    assert json.loads(record.to_json())["model_sha256"] == SHA


def test_a_served_model_logs_no_hash(tmp_path: Path) -> None:
    model = ScriptedChatModel()
    model.enqueue('{"said": "hi"}')
    handle = ChatModelHandle(model=model, provider="openai", model_name="gpt-4o-mini",
                             structured_mode="none")
    log = MemoryCallLog()
    (tmp_path / "tiny.prompty").write_text(TINY)
    generate(agent="layout", task="t", prompt=load_prompt(tmp_path / "tiny.prompty"),
             handle=handle, inputs={}, schema=Said, log=log)
    [record] = log.records
    assert (record.model, record.model_sha256) == ("gpt-4o-mini", None)


def test_jsonl_call_logs_written_before_the_hash_still_read(tmp_path: Path) -> None:
    log = JsonlCallLog(tmp_path / "calls.jsonl")
    old = json.loads(_record().to_json())
    del old["model_sha256"]
    log.path.write_text(json.dumps(old) + "\n")
    log.record(_record(model_sha256=SHA))
    assert [r.model_sha256 for r in log.read()] == [None, SHA]


def test_store_keeps_the_hash_of_calls(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'studio.sqlite3'}")
    run = store.create_run(goal_id=1, goal_title="g", episodes_planned=1, audit_every=1)
    store.record_call(run.id, 1, _record(model_sha256=SHA))
    store.record_call(run.id, 1, _record(provider="openai", model="gpt-4o-mini"))
    assert [c.model_sha256 for c in store.calls(run.id)] == [SHA, None]


def test_a_run_records_the_model_file_in_calls_and_asset_provenance(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    register_provider("hashed", lambda settings, params, name: dataclasses.replace(
        scripted_handle(), model_name="tiny.gguf", model_sha256=SHA))
    try:
        studio = with_provider(studio_at(config), "hashed")
        store = studio.open_store()
        assert Runner(studio, store).start().status == "done"
    finally:
        unregister_provider("hashed")
    calls = store.calls(1)
    assert calls and {(c.model, c.model_sha256) for c in calls} == {("tiny.gguf", SHA)}
    made = {a.kind: a for a in store.assets(1)}
    for kind in ("bible", "script", "layout", "sheet"):
        assert (made[kind].model, made[kind].model_sha256) == ("tiny.gguf", SHA), kind
    assert made["page_svg"].model_sha256 is None  # drawn by code, not by the model
    # The episode's reader page lists the model file among the models that ran.
    page = (studio.assets_dir / made["reader_episode"].path).read_text()
    assert f'title="sha256 of the model file: {SHA}"' in page
