"""The readability measure (issue 15): what it calls junk and what it calls prose, the story
checks, the retry in the agents, and its findings in a run's review and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atelier.agents.readability import (
    ReadabilitySettings,
    TextField,
    Vocabulary,
    field_findings,
    is_name,
    score_field,
    word_loop,
    words_of,
)
from atelier.agents.readability_story import (
    ReadabilityStats,
    copied_run,
    measure_bible,
    measure_episode,
    measure_sheet,
)
from atelier.agents.scriptwriter import Brief, EpisodeScript, SeriesBible, write_bible
from atelier.testing import lighthouse

from agent_helpers import BIBLE, BIBLE_WRITING, scripted_context

SETTINGS = ReadabilitySettings()
BRIEF = Brief(title=lighthouse.TITLE, brief=lighthouse.BRIEF)


def kinds(text: str, kind: str = "prose", extra: tuple[str, ...] = ()) -> set[str]:
    score = score_field(TextField("f", kind, text), Vocabulary(extra))  # type: ignore[arg-type]
    return {f.kind for f in field_findings(score, SETTINGS)}


@pytest.mark.parametrize("junk", [
    # From issue 15 (the demo's own output) and from the bundled model's replies here.
    "Mara}, {1:&#40,2:&#5E}]} }]; {}} A Sail-",
    "4(1)A-LIGHTER-SMALL_ORGANIZESIA/NAMESTÉREBIRCHEADERS|NEXT/SEE..+DNEBU-S-",
    "[<p>Thelana Alessi</p>",
    "<img src=",
    "Lena_A-LIGHTER_SHOP_4",
    "giraffoats_of_beef in one sentence.",
    "episode_380-2659, title:",
    "10-25-36_8:47:49._febriacs",
    "#1E90FF",
])
def test_junk_characters_are_found(junk: str) -> None:
    assert "junk" in kinds(junk)


@pytest.mark.parametrize("salad", [
    "s lannr tnwih endav ee ewr ds inaaa",  # letters at English frequencies
    "the lognipurre to pylablayemb idae amazatemato in",  # English-looking non-words
    "Elena Lea, a very goodlun at the darky marceluna",
])
def test_letter_salad_is_below_the_word_share(salad: str) -> None:
    assert kinds(salad) == {"unknown_words"}


@pytest.mark.parametrize("prose", [
    # Hand-written (docs/make_sample_page.py): real comic prose must not be flagged.
    "Pip waves from the tide line; Mara runs down the path.",
    "MARA! THE SEA LEFT SOMETHING ON THE BEACH!",
    "A bottle... sealed with green wax.",
    "Open it! Open it!",
    "It's Gran's handwriting!",
    "No, no, no!",
    "a stout old man with a white beard, round glasses and a blue cap",
    "Don\u2019t touch that button, it launches the whole ship!",  # a typographic apostrophe
    "Hm.",
])
def test_plain_prose_passes(prose: str) -> None:
    assert kinds(prose, extra=("Mara", "Pip")) == set()


def test_single_letters_and_rare_pairs_do_not_count_as_words() -> None:
    # A frequency list holds every letter; length-weighting plus common short words only
    # keeps "e s t" from reading as three words.
    vocabulary = Vocabulary()
    assert [vocabulary.knows(t) for t in ("a", "I", "e", "s", "ee", "ds", "of", "Thelana")] == [
        True, True, False, False, False, False, True, False]
    assert Vocabulary(["Thelana"]).knows("Thelana's")


def test_word_loops() -> None:
    assert word_loop(words_of("I will be there. I will be there.")) == "I will be there"
    assert word_loop(words_of("no no no no")) == "no"
    assert word_loop(words_of("jax jax jax jax jax")) == "jax"
    assert word_loop(words_of("Open it! Open it!")) is None
    assert word_loop(words_of("talking with the island and then talking with the island")) == (
        "talking with the island")
    assert "word_loop" in kinds("The sea, the sea, the sea, the sea is calling.")


def test_names() -> None:
    assert all(map(is_name, ["Mara", "Old Tom", "Anne-Marie O'Neil", "Captain of the Guard",
                             "Dr. Vance"]))
    assert not any(map(is_name, ["mara", "Tonight, I'm in a lighthouse!", "The", "DNEBU S 4",
                                 "One Two Three Four Five Six", "DNEBU"]))
    assert kinds("Tonight, I'm in a lighthouse!", "name") == {"name_shape"}
    assert kinds("Thelana Alessi", "name") == set()  # a made-up name is still a name


def _script(*panels: dict[str, object]) -> EpisodeScript:
    numbered = [{"shot": "medium", "characters": ["mara"], "mood": "neutral", "dialogue": [],
                 "caption": "", **p, "number": i} for i, p in enumerate(panels, start=1)]
    return EpisodeScript.model_validate({
        "number": 1, "title": "The First Storm", "summary": "A storm hits the island.",
        "scenes": [{"setting": "The lamp room", "beat": "Mara keeps the light.",
                    "panels": numbered[:2]},
                   {"setting": "The rocks", "beat": "Mara sees a light.",
                    "panels": numbered[2:]}]})


def test_story_checks_of_an_episode() -> None:
    bible = SeriesBible.model_validate(BIBLE)
    said = {"speaker": "old_tom", "text": "Hold on tight.", "style": "speech"}
    script = _script(
        {"action": "Mara climbs the lighthouse stairs.", "dialogue": [said]},
        {"action": "Dance.", "caption": "Hold on tight."},
        {"action": "Dancers twirl to music on a bright stage."},
        {"action": "A crowd claps for the singer."},
    )
    found = measure_episode(script, bible, BRIEF, SETTINGS).findings
    assert sorted((f.kind, f.where) for f in found) == [
        ("off_goal", "episode 1"),  # 1 of 4 panels touches the brief or the bible
        ("repeated_line", "panel 2"),
        ("short_action", "panel 2"),
        ("silent_scene", "scene 2"),
        ("speaker_absent", "panel 1"),
    ]
    assert all("\n" not in str(f) for f in found)
    assert "panel 1's line 'Hold on tight.'" in next(
        f.message for f in found if f.kind == "repeated_line")


def test_a_bible_needs_characters_and_its_own_words() -> None:
    brief = Brief(title="The Night Bakery", brief="A young baker and her grumpy cat bake "
                  "bread for the ghosts of the old town, every night until dawn.")
    copied = {**BIBLE, "characters": BIBLE["characters"][:1],
              "logline": "A young baker and her grumpy cat bake bread for the ghosts.",
              "world": "A rocky island.", "arc": "They sail away."}
    found = measure_bible(SeriesBible.model_validate(copied), brief, SETTINGS).findings
    assert sorted(f.kind for f in found) == ["copied", "few_characters"]
    lighthouse_bible = SeriesBible.model_validate(lighthouse.BIBLE)
    assert measure_bible(lighthouse_bible, BRIEF, SETTINGS).findings == ()
    assert copied_run("they bake bread for the ghosts of it", brief.brief, 8) is None


def test_the_scripted_cast_passes_every_threshold() -> None:
    from atelier.agents.designer import CharacterSheet
    from atelier.agents.scriptwriter import write_episode
    from atelier.testing.cast import respond
    from atelier.testing.models import scripted_handle

    ctx = scripted_context("scriptwriter")
    ctx = type(ctx)(prompt=ctx.prompt, handle=scripted_handle(respond), log=ctx.log)
    bible = write_bible(ctx, BRIEF)
    measures = [measure_bible(bible, BRIEF, SETTINGS)]
    for number in (1, 2):
        script = write_episode(ctx, BRIEF, bible, number, previous_summaries=[])
        measures.append(measure_episode(script, bible, BRIEF, SETTINGS))
    for character in bible.characters:
        sheet = CharacterSheet.model_validate(lighthouse.sheet(character.id))
        measures.append(measure_sheet(sheet, character, bible, BRIEF, SETTINGS))
    assert [str(f) for m in measures for f in m.findings] == []
    assert all(r.attempts == 1 and not r.problems for r in ctx.log.records)
    stats = ReadabilityStats.of(measures)
    assert stats.word_share == 1.0 and stats.junk_fields == 0 and stats.fields > 30


#: Word-shaped (the schema's patterns let it through) but not English: what a grammar cannot
#: keep out, so the readability check sends it back.
SALAD = "Zorp blenk quaxi fremble snorg."


def test_an_unreadable_field_is_retried_with_the_problem_fed_back() -> None:
    salad = {**BIBLE_WRITING, "world": SALAD}
    ctx = scripted_context("scriptwriter", salad, BIBLE_WRITING)
    bible = write_bible(ctx, BRIEF)
    assert bible.world == BIBLE["world"]
    [record] = ctx.log.records
    assert (record.outcome, record.attempts, record.problems) == ("ok", 2, ())
    fed_back = ctx.handle.model.calls[1][-1].content
    assert "world: only 0% of" in fed_back and "write plain English words" in fed_back


def test_junk_characters_are_a_validation_error_not_a_readability_finding() -> None:
    junk = {**BIBLE_WRITING, "world": "10_New_Mara.25:38am-Noon {{world}}"}
    ctx = scripted_context("scriptwriter", junk, BIBLE_WRITING)
    assert write_bible(ctx, BRIEF).world == BIBLE["world"]
    fed_back = ctx.handle.model.calls[1][-1].content
    assert "world: String should match pattern" in fed_back


def test_unreadable_after_its_retries_keeps_the_best_reply_and_says_so() -> None:
    worse = {**BIBLE_WRITING, "world": SALAD, "arc": "Blick snarf wug."}
    bad = {**BIBLE_WRITING, "world": SALAD}
    ctx = scripted_context("scriptwriter", worse, bad, BIBLE_WRITING)  # the third: never asked
    bible = write_bible(ctx, BRIEF)
    assert bible.world == SALAD and bible.arc == BIBLE["arc"]
    [record] = ctx.log.records
    assert (record.outcome, record.attempts) == ("ok", 2)
    assert [p.split(":")[0] for p in record.problems] == ["world"]
    assert ctx.handle.model.remaining == 1

    quiet = scripted_context("scriptwriter", worse)
    quiet = type(quiet)(prompt=quiet.prompt, handle=quiet.handle, log=quiet.log,
                        readability=ReadabilitySettings(retries=0))
    assert write_bible(quiet, BRIEF).arc == "Blick snarf wug."  # 0 retries: not retried


def test_readability_thresholds_are_checked_in_config() -> None:
    from atelier.config import config_from_dict
    from atelier.kernel.errors import ConfigError

    assert config_from_dict({"readability": {"retries": 2}}).readability.retries == 2
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"readability": {"min_word_share": 2}})
    assert "[readability] min_word_share = 2" in raised.value.message
    with pytest.raises(ConfigError, match="did you mean 'retries'"):
        config_from_dict({"readability": {"retry": 1}})


def test_a_run_reports_unreadable_text_in_its_review_and_audit(tmp_path: Path) -> None:
    from atelier.testing.cast import respond
    from atelier.testing.models import scripted_provider
    from atelier.workflows.runner import Runner

    from workflow_helpers import governed_studio, studio_at, with_provider

    config = governed_studio(tmp_path, episodes=1, audit_every=1)

    def junky(messages: list) -> str:  # scene 1's first action is junk, every time
        reply = respond(messages)
        if "Now write scene 1" in "\n".join(str(m.content) for m in messages):
            panels = json.loads(reply)
            # word-shaped (the grammar lets it through), but no English
            panels["panels"][0]["action"] = "Marakamara maracamalar zorpen blickety."
            reply = json.dumps(panels)
        return reply

    with scripted_provider("junky", junky):
        studio = with_provider(studio_at(config), "junky")
        store = studio.open_store()
        assert Runner(studio, store).start().status == "done"
    [episode] = store.episodes(1)
    # Besides the renderer's (the bible's gull has no sheet before episode 2), only the
    # junk field: the rest of the cast's text passes every threshold.
    measured = [f for f in episode.findings if "character sheet" not in f]
    assert [f.split(":")[0] for f in measured] == ["panel 1 action"]
    assert "only 0% of 'Marakamara maracamalar" in measured[0]
    [panels] = [c for c in store.calls(1) if c.task == "panels" and c.problems]
    assert (panels.outcome, panels.attempts) == ("ok", 2)  # retried once, then kept
    report = store.audits(1)[0].report_markdown
    assert "## Readability" in report
    row = next(line for line in report.splitlines() if line.startswith("| scriptwriter |")
               and "%" in line)
    # the salad lowers the scriptwriter's share of known words (every other field is English)
    assert "| 31 | 94.2% | 0 |" in row


def test_one_long_made_up_word_is_measured_but_a_short_cry_is_not() -> None:
    assert kinds("Giraffoats.") == {"unknown_words"}
    assert kinds("Weatherproof gear.") == set()
    score = score_field(TextField("panels.0.dialogue.0.text", "prose", "Aaaargh!"), Vocabulary())
    assert field_findings(score, SETTINGS) == []


def test_one_made_up_word_in_a_field_that_otherwise_reads_is_named_and_sent_back() -> None:
    # From the bundled model's bible (bench seed 1): one word no dictionary has.
    text = "A fierce leader who has been at odds with his own people. He is avalonkey."
    score = score_field(TextField("characters.0.personality", "prose", text), Vocabulary())
    assert score.word_share > SETTINGS.min_word_share  # the share alone would let it pass
    [finding] = field_findings(score, SETTINGS)
    assert finding.kind == "unknown_words"
    assert "'avalonkey' in" in finding.message and "is not an English word" in finding.message
    # Short unknown tokens weigh little and are left to the share; a short cry in dialogue
    # is not writing to correct; the setting turns the check off.
    assert kinds("The lions are a fierce and unyielding le.") == set()
    line = score_field(TextField("panels.0.dialogue.0.text", "prose", "Grrraaah!"), Vocabulary())
    assert field_findings(line, SETTINGS) == []
    assert field_findings(score, ReadabilitySettings(unknown_word_letters=0)) == []
    # A name the story gave its character is known, not made up.
    named = score_field(TextField("action", "prose", "Thelana climbs the tower stairs."),
                        Vocabulary(["Thelana"]))
    assert field_findings(named, SETTINGS) == []
