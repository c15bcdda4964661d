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
    PanelScript,
    Scene,
    SeriesBible,
    write_bible,
    write_episode,
)
from atelier.agents.structured import AgentOutputError

from agent_helpers import BIBLE, BIBLE_WRITING, OUTLINE, panels, scripted_context

BRIEF = Brief(title="The Lighthouse Keepers", brief="Two keepers, one storm.", episodes=2)


def test_bible_is_validated_and_logged_with_ids_derived_from_names() -> None:
    ctx = scripted_context("scriptwriter", BIBLE_WRITING)
    bible = write_bible(ctx, BRIEF)
    assert [(c.id, c.name) for c in bible.characters] == [("mara", "Mara"),
                                                          ("old_tom", "Old Tom")]
    [record] = ctx.log.records
    assert (record.agent, record.task, record.outcome, record.attempts) == (
        "scriptwriter", "bible", "ok", 1)
    assert record.prompt_hash == ctx.prompt.hash_hex
    assert record.provider == "scripted"
    assert record.completion_tokens > 0
    sent = ctx.handle.model.calls[0]
    assert "The Lighthouse Keepers" in sent[-1].content  # the brief reached the prompt


def test_invalid_json_is_retried_with_the_problems_fed_back() -> None:
    broken = {**BIBLE_WRITING, "tone": "grimdark"}
    ctx = scripted_context("scriptwriter", "not json at all", broken, BIBLE_WRITING)
    bible = write_bible(ctx, BRIEF)
    assert bible.tone == "mystery"
    [record] = ctx.log.records
    assert (record.outcome, record.attempts) == ("ok", 3)
    third_call = ctx.handle.model.calls[2]
    assert "tone" in third_call[-1].content  # the validation error was fed back
    assert third_call[-2].content == json.dumps(broken)  # with the model's own answer


def test_junk_in_a_name_or_an_id_written_by_the_model_is_refused() -> None:
    # The issue's own junk: what a grammar keeps out, validation refuses on every backend.
    junk = {**BIBLE_WRITING, "characters": [
        {**BIBLE_WRITING["characters"][0], "name": "Mara}, {1:&#40"},
        {**BIBLE_WRITING["characters"][1], "id": "old_tom"}]}
    ctx = scripted_context("scriptwriter", junk, junk, max_attempts=2)
    with pytest.raises(AgentOutputError) as raised:
        write_bible(ctx, BRIEF)
    error = raised.value
    assert (error.agent, error.task, error.attempts) == ("scriptwriter", "bible", 2)
    assert any(p.startswith("characters.0.name: String should match pattern")
               for p in error.problems)
    assert "characters.1.id: Extra inputs are not permitted" in error.problems
    [record] = ctx.log.records
    assert (record.outcome, record.attempts) == ("invalid", 2)


def test_ids_are_unique_and_never_reserved() -> None:
    from atelier.agents.script_writing import character_ids

    assert character_ids(["Mara", "Old Tom", "Mara", "Narrator", "Caption", "Al"]) == [
        "mara", "old_tom", "mara_2", "narrator_2", "caption_2", "al"]
    assert character_ids(["Captain Bartholomew Fitzgerald"]) == ["captain_bartholomew_fitz"]


def test_a_character_named_twice_is_sent_back_then_kept_once() -> None:
    mara = BIBLE_WRITING["characters"][0]
    repeated = {**BIBLE_WRITING, "characters": [mara, BIBLE_WRITING["characters"][1],
                                                {**mara, "look": "Short and quick."}]}
    ctx = scripted_context("scriptwriter", repeated, repeated)
    bible = write_bible(ctx, BRIEF)
    assert [c.id for c in bible.characters] == ["mara", "old_tom"]
    assert bible.characters[0].look == mara["look"]  # the first entry wins
    assert "characters.2.name: 'Mara' is already a character" in (
        ctx.handle.model.calls[1][-1].content)  # a readability retry, then kept


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
    assert "numbered" not in scene_prompt  # the schema has no number: the prompt asks none


def test_unknown_speakers_are_sent_back_and_a_speaker_is_shown_in_the_panel() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    stranger = panels(("Someone talks.", ["captain"]), ("Mara waits.", ["mara"]))
    absent = panels(("Mara listens.", []), ("Mara nods.", ["mara"]))
    absent["panels"][0]["dialogue"] = [{"speaker": "old_tom", "text": "Hm.", "style": "speech"}]
    ctx = scripted_context("scriptwriter", OUTLINE, stranger, absent,
                           panels(("Mara runs.", []), ("Mara stops.", [])))
    script = write_episode(ctx, BRIEF, bible, 2, previous_summaries=["Ep 1 happened."])
    assert [p.number for p in script.panels] == [1, 2, 3, 4]
    assert "'captain' is not a character id" in ctx.handle.model.calls[2][-1].content
    # Old Tom speaks in a panel that listed only Mara: code shows him there.
    assert script.panels[0].characters == ["mara", "old_tom"]
    assert all(d.speaker in p.characters for p in script.panels for d in p.dialogue)
    assert "Ep 1 happened." in ctx.handle.model.calls[0][-1].content  # continuity reached


def test_a_speaker_added_to_a_full_panel_takes_a_silent_character_s_place() -> None:
    from atelier.agents.script_writing import PanelWriting

    drawn = PanelWriting.model_validate({
        "shot": "wide", "action": "The crew waits on the pier.", "mood": "neutral",
        "characters": ["mara", "old_tom", "pip", "rhee"], "caption": "",
        "dialogue": [{"speaker": "gull", "text": "Fish for me?"},
                     {"speaker": "pip", "text": "Not today."}]})
    said: set[str] = set()
    panel = drawn.to_panel(1, said)
    assert panel.characters == ["mara", "old_tom", "pip", "gull"]  # rhee, silent, steps out
    assert panel.caption == "" and "" not in said  # no caption: nothing to remember
    assert said == {"fish for me", "not today"}


def test_a_line_the_episode_already_has_is_sent_back_then_dropped() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    first = panels(("Tom trims the wick.", ["old_tom"]), ("Mara watches.", ["mara"]))
    again = panels(("Mara sees a light.", ["mara"]), ("Mara dives in.", ["mara"]))
    again["panels"][1]["dialogue"] = [{**first["panels"][0]["dialogue"][0], "speaker": "mara"}]
    ctx = scripted_context("scriptwriter", OUTLINE, first, again, again)
    script = write_episode(ctx, BRIEF, bible, 1, previous_summaries=[])
    assert "was said before" in ctx.handle.model.calls[3][-1].content
    lines = [d.text for p in script.panels for d in p.dialogue]
    assert len(lines) == len(set(lines)) == 3  # the repeat is left out of panel 4
    assert script.panels[3].dialogue == []


def test_episode_panel_numbers_must_run_in_order() -> None:
    script = _script(3)
    scene = script.scenes[0]
    renumbered = scene.model_copy(update={"panels": (
        scene.panels[0], scene.panels[1].model_copy(update={"number": 5}), scene.panels[2])})
    with pytest.raises(ValueError, match=r"panel numbers must run 1\.\.3 in order"):
        EpisodeScript.model_validate({**script.model_dump(), "scenes": [renumbered.model_dump()]})


def test_grammar_narrowing_limits_ids_and_panel_counts() -> None:
    from atelier.agents.layout import LayoutPlan, exact_panels
    from atelier.agents.script_writing import OutlineWriting
    from atelier.agents.scriptwriter import only_ids
    from atelier.agents.structured import narrow_schema

    outline = narrow_schema(OutlineWriting.model_json_schema(), only_ids(["mara", "old_tom"]))
    beat = outline["$defs"]["SceneWriting"]["properties"]["characters"]
    assert beat["items"] == {"type": "string", "enum": ["mara", "old_tom"]}
    plan = narrow_schema(LayoutPlan.model_json_schema(), exact_panels(3))
    assert (plan["properties"]["panels"]["minItems"], plan["properties"]["panels"]["maxItems"]) \
        == (3, 3)
    assert plan["$defs"]["PanelDirection"]["properties"]["panel"]["enum"] == [1, 2, 3]
    assert OutlineWriting.model_json_schema() != outline  # the model's own schema is untouched


def test_outline_with_unknown_character_fails_after_retries() -> None:
    wrong = {**OUTLINE, "scenes": [{**OUTLINE["scenes"][0], "characters": ["ghost"]},
                                   OUTLINE["scenes"][1]]}
    ctx = scripted_context("scriptwriter", wrong, wrong, wrong)
    with pytest.raises(AgentOutputError, match="'ghost' is not a character id"):
        write_episode(ctx, BRIEF, SeriesBible.model_validate(BIBLE), 1, [])


SHEET = {
    "silhouette": "Long raincoat flaring at the hem.", "costume": "Yellow raincoat, boots.",
    "palette": {"skin": "fair", "hair": "#7A4B2A", "outfit": "#FFD100",
                "accent": "#1E3A5F"},
    "expressions": ["determined", "surprised", "happy"],
}


def test_designer_sheet_and_its_checks() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    same = {**SHEET, "palette": {**SHEET["palette"], "outfit": "#f2c9a0"}}
    no_hair = {**SHEET, "palette": {"skin": "fair", "outfit": "#FFD100",
                                    "accent": "#000000"}}
    renamed = {**SHEET, "name": "Lena_A-LIGHTER_SHOP_4"}
    ctx = scripted_context("designer", same, no_hair, renamed, SHEET, max_attempts=4)
    sheet = design_character(ctx, bible, bible.characters[0], ["Mara gasps."])
    assert sheet.palette.swatches()[0] == ("skin", "#F2C9A0")  # "fair", painted by code
    feedback = [call[-1].content for call in ctx.handle.model.calls[1:]]
    assert "the outfit needs another colour than the skin" in feedback[0]
    assert "palette.hair: Field required" in feedback[1]
    assert "name: Extra inputs are not permitted" in feedback[2]
    # A skin is a tone by name: the model cannot paint a face blue (it copied a prompt's
    # example hex into every face once).
    from pydantic import ValidationError

    from atelier.agents.designer import SheetWriting

    with pytest.raises(ValidationError, match=r"palette\.skin"):
        SheetWriting.model_validate({**SHEET, "palette": {**SHEET["palette"],
                                                          "skin": "#1E90FF"}})
    # Name, id and look are the bible's, whatever the model would have called them.
    mara = bible.characters[0]
    assert (sheet.character_id, sheet.name, sheet.appearance) == (mara.id, mara.name, mara.look)


def test_sheet_is_redrawn_only_when_the_bible_entry_changes() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    mara = bible.characters[0]
    assert needs_sheet(mara, None)
    assert not needs_sheet(mara, character_fingerprint(mara))
    changed = mara.model_copy(update={"look": "Now with a scar."})
    assert needs_sheet(changed, character_fingerprint(mara))


def _script(n: int) -> EpisodeScript:
    return EpisodeScript(number=1, title="Storm", summary="A storm.", scenes=(Scene(
        setting="The lamp room", beat="A storm.", panels=tuple(
            PanelScript(number=i, shot="medium", action=f"Panel {i}.", characters=["mara"],
                        mood="neutral") for i in range(1, n + 1))),))


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
    assert raised.value.problems[0].startswith("the reply was cut off at the token limit (1000")


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
