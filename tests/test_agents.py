"""The three creative agents with a scripted model: valid output, retries with the problems
fed back, semantic failures, and the typed error after the last attempt."""

from __future__ import annotations

import json

import pytest

from atelier.agents.designer import character_fingerprint, design_character, needs_sheet
from atelier.agents.layout import lay_out_episode
from atelier.agents.layout_solver import PanelRequest, check_layout
from atelier.agents.scriptwriter import (
    Brief,
    EpisodeScript,
    SeriesBible,
    write_bible,
    write_episode,
)
from atelier.agents.structured import AgentOutputError

from agent_helpers import BIBLE, OUTLINE, panels, scripted_context

BRIEF = Brief(title="The Lighthouse Keepers", brief="Two keepers, one storm.", episodes=2)


def test_bible_is_validated_and_logged() -> None:
    ctx = scripted_context("scriptwriter", BIBLE)
    bible = write_bible(ctx, BRIEF)
    assert [c.id for c in bible.characters] == ["mara", "old_tom"]
    [record] = ctx.log.records
    assert (record.agent, record.task, record.outcome, record.attempts) == (
        "scriptwriter", "bible", "ok", 1)
    assert record.prompt_hash == ctx.prompt.hash_hex
    assert record.provider == "scripted"
    assert record.completion_tokens > 0
    sent = ctx.handle.model.calls[0]
    assert "The Lighthouse Keepers" in sent[-1].content  # the brief reached the prompt


def test_invalid_json_is_retried_with_the_problems_fed_back() -> None:
    broken = {**BIBLE, "tone": "grimdark"}
    ctx = scripted_context("scriptwriter", "not json at all", broken, BIBLE)
    bible = write_bible(ctx, BRIEF)
    assert bible.tone == "mystery"
    [record] = ctx.log.records
    assert (record.outcome, record.attempts) == ("ok", 3)
    third_call = ctx.handle.model.calls[2]
    assert "tone" in third_call[-1].content  # the validation error was fed back
    assert third_call[-2].content == json.dumps(broken)  # with the model's own answer


def test_semantic_failure_after_the_last_attempt_is_a_typed_error() -> None:
    narrator = {**BIBLE["characters"][0], "id": "narrator", "name": "The Voice"}
    reserved = {**BIBLE, "characters": [*BIBLE["characters"], narrator]}
    ctx = scripted_context("scriptwriter", reserved, reserved, max_attempts=2)
    with pytest.raises(AgentOutputError) as raised:
        write_bible(ctx, BRIEF)
    error = raised.value
    assert (error.agent, error.task, error.attempts) == ("scriptwriter", "bible", 2)
    assert any("'narrator' is reserved for captions" in p for p in error.problems)
    [record] = ctx.log.records
    assert (record.outcome, record.attempts) == ("semantic", 2)


def test_a_character_listed_twice_is_kept_once() -> None:
    mara = BIBLE["characters"][0]
    repeated = {**BIBLE, "characters": [mara, BIBLE["characters"][1], {**mara, "look": "x"},
                                        {**mara, "id": "mara_again"}]}
    bible = write_bible(scripted_context("scriptwriter", repeated), BRIEF)
    assert [c.id for c in bible.characters] == ["mara", "old_tom"]
    assert bible.characters[0].look == mara["look"]  # the first entry wins


def test_episode_is_written_in_small_steps_and_numbered_across_scenes() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    ctx = scripted_context(
        "scriptwriter", OUTLINE,
        panels(("Tom trims the wick.", ["old_tom"]), ("Mara watches.", ["mara"])),
        panels(("A green glow under the waves.", []), ("Mara gasps.", ["mara"]),
               ("The light goes out.", [])),
    )
    script = write_episode(ctx, BRIEF, bible, 1, previous_summaries=[])
    assert [p.number for p in script.panels] == [1, 2, 3, 4, 5]
    assert [len(s.panels) for s in script.scenes] == [2, 3]
    assert [r.task for r in ctx.log.records] == ["outline", "panels", "panels"]
    scene_prompt = ctx.handle.model.calls[2][-1].content
    assert "The rocks at midnight" in scene_prompt


def test_unknown_or_absent_speakers_are_semantic_errors() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    stranger = panels(("Someone talks.", ["captain"]))
    absent = panels(("Mara listens.", []))
    absent["panels"][0]["dialogue"] = [{"speaker": "old_tom", "text": "Hm.", "style": "speech"}]
    good = panels(("Fine.", ["mara"]))
    ctx = scripted_context("scriptwriter", {**OUTLINE, "scenes": OUTLINE["scenes"][:1]},
                           stranger, absent, good)
    script = write_episode(ctx, BRIEF, bible, 2, previous_summaries=["Ep 1 happened."])
    assert [p.number for p in script.panels] == [1]
    assert "'captain' is not a character id" in ctx.handle.model.calls[2][-1].content
    assert "'old_tom' speaks but is not in the panel's characters" in (
        ctx.handle.model.calls[3][-1].content)
    assert "Ep 1 happened." in ctx.handle.model.calls[0][-1].content  # continuity reached


def test_episode_panel_numbers_must_run_in_order() -> None:
    script = _script(3)
    scene = script.scenes[0]
    renumbered = scene.model_copy(update={"panels": (
        scene.panels[0], scene.panels[1].model_copy(update={"number": 5}), scene.panels[2])})
    with pytest.raises(ValueError, match=r"panel numbers must run 1\.\.3 in order"):
        EpisodeScript.model_validate({**script.model_dump(), "scenes": [renumbered.model_dump()]})


def test_grammar_narrowing_limits_ids_and_panel_counts() -> None:
    from atelier.agents.layout import LayoutPlan, exact_panels
    from atelier.agents.scriptwriter import EpisodeOutline, only_ids
    from atelier.agents.structured import narrow_schema

    outline = narrow_schema(EpisodeOutline.model_json_schema(), only_ids(["mara", "old_tom"]))
    beat = outline["$defs"]["SceneBeat"]["properties"]["characters"]
    assert beat["items"] == {"type": "string", "enum": ["mara", "old_tom"]}
    plan = narrow_schema(LayoutPlan.model_json_schema(), exact_panels(3))
    assert (plan["properties"]["panels"]["minItems"], plan["properties"]["panels"]["maxItems"]) \
        == (3, 3)
    assert plan["$defs"]["PanelDirection"]["properties"]["panel"]["enum"] == [1, 2, 3]
    assert EpisodeOutline.model_json_schema() != outline  # the model's own schema is untouched


def test_outline_with_unknown_character_fails_after_retries() -> None:
    wrong = {**OUTLINE, "scenes": [{**OUTLINE["scenes"][0], "characters": ["ghost"]}]}
    ctx = scripted_context("scriptwriter", wrong, wrong, wrong)
    with pytest.raises(AgentOutputError, match="'ghost' is not a character id"):
        write_episode(ctx, BRIEF, SeriesBible.model_validate(BIBLE), 1, [])


SHEET = {
    "character_id": "mara", "name": "Mara", "appearance": "Tall, freckled, windswept hair.",
    "silhouette": "Long raincoat flaring at the hem.", "costume": "Yellow raincoat, boots.",
    "palette": {"skin": "#F2C9A0", "hair": "#7A4B2A", "outfit": "#FFD100",
                "accent": "#1E3A5F"},
    "expressions": ["determined", "surprised", "happy"],
}


def test_designer_sheet_and_its_checks() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    same = {**SHEET, "palette": {**SHEET["palette"], "outfit": "#f2c9a0"}}
    no_hair = {**SHEET, "palette": {"skin": "#F2C9A0", "outfit": "#FFD100",
                                    "accent": "#000000"}}
    wrong_id = {**SHEET, "character_id": "old_tom"}
    ctx = scripted_context("designer", same, no_hair, wrong_id, SHEET, max_attempts=4)
    sheet = design_character(ctx, bible, bible.characters[0], ["Mara gasps."])
    assert sheet.palette.swatches()[0] == ("skin", "#F2C9A0")
    feedback = [call[-1].content for call in ctx.handle.model.calls[1:]]
    assert "the outfit needs another colour than the skin" in feedback[0]
    assert "palette.hair: Field required" in feedback[1]
    assert "character_id: must be 'mara'" in feedback[2]


def test_sheet_is_redrawn_only_when_the_bible_entry_changes() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    mara = bible.characters[0]
    assert needs_sheet(mara, None)
    assert not needs_sheet(mara, character_fingerprint(mara))
    changed = mara.model_copy(update={"look": "Now with a scar."})
    assert needs_sheet(changed, character_fingerprint(mara))


def _script(n: int) -> EpisodeScript:
    bible = SeriesBible.model_validate(BIBLE)
    ctx = scripted_context("scriptwriter", {**OUTLINE, "scenes": OUTLINE["scenes"][:1]},
                           panels(*[(f"Panel {i}.", []) for i in range(1, n + 1)]))
    return write_episode(ctx, BRIEF, bible, 1, [])


def test_layout_plan_becomes_valid_pages() -> None:
    script = _script(4)
    plan = {"panels": [
        {"panel": 1, "emphasis": "large", "shot": "wide", "page_break_before": False},
        {"panel": 2, "emphasis": "normal", "shot": "medium", "page_break_before": False},
        {"panel": 3, "emphasis": "small", "shot": "close", "page_break_before": False},
        {"panel": 4, "emphasis": "splash", "shot": "wide", "page_break_before": True},
    ]}
    ctx = scripted_context("layout", plan)
    layout = lay_out_episode(ctx, script)
    placed = [p.panel_id for page in layout.pages for p in page.panels]
    assert placed == ["1", "2", "3", "4"]
    assert len(layout.pages) >= 2  # the splash gets room of its own
    requests = [PanelRequest(str(d.panel), d.emphasis, d.shot, d.page_break_before)
                for d in layout.plan.panels]
    assert check_layout(layout.pages, requests) == []


def test_layout_plan_must_cover_every_panel_once() -> None:
    script = _script(3)
    missing = {"panels": [{"panel": 1, "emphasis": "normal", "shot": "wide"},
                          {"panel": 3, "emphasis": "normal", "shot": "wide"},
                          {"panel": 3, "emphasis": "normal", "shot": "wide"}]}
    ctx = scripted_context("layout", missing, missing, max_attempts=2)
    with pytest.raises(AgentOutputError) as raised:
        lay_out_episode(ctx, script)
    text = " ".join(raised.value.problems)
    assert "missing [2]" in text
    assert "[3] appear more than once" in text


def test_a_reply_cut_off_at_the_token_limit_says_so() -> None:
    from langchain_core.messages import AIMessage

    ctx = scripted_context("scriptwriter", max_attempts=1)
    ctx.handle.model.enqueue(lambda _messages: AIMessage(
        content='{"title": "The Light', response_metadata={"finish_reason": "length"}))
    with pytest.raises(AgentOutputError) as raised:
        write_bible(ctx, BRIEF)
    assert raised.value.problems[0].startswith("the reply was cut off at the token limit (700")


def test_repeated_expressions_are_kept_once_and_completed() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    repeated = {**SHEET, "expressions": ["happy", "sad", "happy"]}
    ctx = scripted_context("designer", repeated)
    assert design_character(ctx, bible, bible.characters[0], []).expressions == ["happy", "sad"]
    single = {**SHEET, "expressions": ["determined", "determined"]}
    ctx = scripted_context("designer", single)
    sheet = design_character(ctx, bible, bible.characters[0], [])
    assert sheet.expressions == ["determined", "neutral"]  # the resting face completes it
    resting = {**SHEET, "expressions": ["neutral", "neutral"]}
    ctx = scripted_context("designer", resting)
    assert design_character(ctx, bible, bible.characters[0], []).expressions == [
        "neutral", "happy"]
