"""One real call per agent on the embedded model (SmolLM2-135M through llama.cpp
in-process), with the shipped prompt files: the path `atelier demo` takes, for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.agents.calls import MemoryCallLog
from atelier.agents.context import AgentContext
from atelier.agents.designer import check_sheet, design_character
from atelier.agents.layout import lay_out_episode
from atelier.agents.layout_solver import PanelRequest, check_layout
from atelier.agents.models.factory import chat_model_for
from atelier.agents.models.settings import ModelSettings
from atelier.agents.prompt_file import load_prompt
from atelier.agents.scriptwriter import Brief, check_bible, write_bible, write_episode

pytestmark = pytest.mark.model

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
BRIEF = Brief(title="The Lighthouse Keepers", brief="Two keepers on a stormy island find out "
              "what the sea has been sending them.", episodes=2)


@pytest.fixture(scope="module")
def log() -> MemoryCallLog:
    return MemoryCallLog()


def _ctx(agent: str, log: MemoryCallLog) -> AgentContext:
    prompt = load_prompt(PROMPTS / f"{agent}.prompty")
    return AgentContext(prompt=prompt, handle=chat_model_for(ModelSettings(),
                                                             prompt.model.params), log=log)


@pytest.fixture(scope="module")
def series(log: MemoryCallLog):
    bible = write_bible(_ctx("scriptwriter", log), BRIEF)
    script = write_episode(_ctx("scriptwriter", log), BRIEF, bible, 1, previous_summaries=[])
    return bible, script


def test_scriptwriter_writes_a_bible_and_an_episode(series, log: MemoryCallLog) -> None:
    bible, script = series
    assert check_bible(bible) == []
    assert 1 <= len(script.scenes) <= 3
    assert [p.number for p in script.panels] == list(range(1, len(script.panels) + 1))
    ids = {c.id for c in bible.characters}
    assert len(ids) >= 2  # the schema asks for two characters at least
    for panel in script.panels:
        assert set(panel.characters) <= ids
        assert {d.speaker for d in panel.dialogue} <= set(panel.characters)
    assert all(any(p.dialogue for p in scene.panels) for scene in script.scenes)
    records = [r for r in log.records if r.agent == "scriptwriter"]
    assert [r.task for r in records][:2] == ["bible", "outline"]
    assert all(r.outcome == "ok" and r.provider == "local" for r in records)
    assert all(r.completion_tokens > 0 and r.prompt_tokens > 0 for r in records)


def test_designer_draws_a_sheet_for_a_bible_character(series, log: MemoryCallLog) -> None:
    bible, script = series
    character = bible.characters[0]
    lines = [p.action for p in script.panels if character.id in p.characters]
    sheet = design_character(_ctx("designer", log), bible, character, lines)
    assert sheet.character_id == character.id
    assert check_sheet(sheet) == []
    assert (sheet.character_id, sheet.name, sheet.appearance) == (
        character.id, character.name, character.look)  # the bible's, not reinvented
    assert log.records[-1].agent == "designer"


def test_layout_agent_plans_pages_the_solver_places(series, log: MemoryCallLog) -> None:
    _bible, script = series
    layout = lay_out_episode(_ctx("layout", log), script)
    requests = [PanelRequest(str(d.panel), d.emphasis, d.shot, d.page_break_before)
                for d in layout.plan.panels]
    assert check_layout(layout.pages, requests) == []
    placed = [p.panel_id for page in layout.pages for p in page.panels]
    assert placed == [str(p.number) for p in script.panels]
