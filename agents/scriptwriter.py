"""The scriptwriter: a series bible once per goal, then each episode in small steps
(Dramatron-style: bible -> episode outline -> panels per scene), so a small model only ever
writes one short, well-defined piece at a time.

The model writes word-shaped drafts (``atelier.agents.script_writing``); code turns them into
the stored shapes (``atelier.agents.script_models``, re-exported here for their readers).
"""

from __future__ import annotations

from typing import Any

from atelier.agents.context import AgentContext
from atelier.agents.readability import Vocabulary, excerpt
from atelier.agents.script_models import (
    CHARACTER_ID_PATTERN,
    BibleCharacter,
    Brief,
    CharacterId,
    DialogueLine,
    EpisodeOutline,
    EpisodeScript,
    LineStyle,
    Mood,
    PanelDraft,
    PanelScript,
    Role,
    Scene,
    SceneBeat,
    SeriesBible,
    Shot,
    Tone,
    Words,
    _text,
)
from atelier.agents.script_writing import (
    RESERVED_IDS,
    BibleWriting,
    OutlineWriting,
    ScenePanelsWriting,
    line_key,
)
from atelier.agents.structured import Narrowing, generate

__all__ = [
    "AGENT", "CHARACTER_ID_PATTERN", "BibleCharacter", "Brief", "CharacterId", "DialogueLine",
    "EpisodeOutline", "EpisodeScript", "LineStyle", "Mood", "PanelDraft", "PanelScript", "Role",
    "Scene", "SceneBeat", "SeriesBible", "Shot", "Tone", "Words", "_text", "check_bible",
    "check_outline", "check_scene", "only_ids", "story_vocabulary", "write_bible",
    "write_episode", "write_outline", "write_panels",
]

AGENT = "scriptwriter"


# -- semantic checks -------------------------------------------------------------------------
def check_bible(bible: SeriesBible) -> list[str]:
    problems = []
    for character in bible.characters:
        if character.id in RESERVED_IDS:  # a stored bible of an earlier version may have one
            problems.append(f"characters: {character.id!r} is reserved for captions; "
                            "give the character its own id")
    return problems


def _unknown_ids(ids: list[str], bible: SeriesBible, where: str) -> list[str]:
    known = {c.id for c in bible.characters}
    listed = ", ".join(sorted(known))
    return [
        f"{where}: {cid!r} is not a character id in the bible (use one of: {listed})"
        for cid in ids
        if cid not in known
    ]


def check_outline(outline: OutlineWriting | EpisodeOutline, bible: SeriesBible) -> list[str]:
    problems = []
    for i, scene in enumerate(outline.scenes):
        problems += _unknown_ids(scene.characters, bible, f"scenes.{i}.characters")
    return problems


def check_scene(scene: ScenePanelsWriting, bible: SeriesBible) -> list[str]:
    """Ids outside the bible (a grammar's enum prevents them; other backends may not). A
    speaker missing from the panel's list is no problem: code adds them to the panel."""
    problems = []
    for i, panel in enumerate(scene.panels):
        problems += _unknown_ids(panel.characters, bible, f"panels.{i}.characters")
        for j, line in enumerate(panel.dialogue):
            problems += _unknown_ids([line.speaker], bible, f"panels.{i}.dialogue.{j}.speaker")
    return problems


def repeated_lines(scene: ScenePanelsWriting, said_before: set[str]) -> list[str]:
    """A readability problem: an action, caption or line that an earlier panel of the
    episode already has (the bundled model copies its last panel when left alone; the
    repeat penalty only looks back 64 tokens)."""
    said = set(said_before)
    problems = []
    for i, panel in enumerate(scene.panels):
        texts = [("action", panel.action), ("caption", panel.caption),
                 *((f"dialogue.{j}.text", d.text) for j, d in enumerate(panel.dialogue))]
        for where, text in texts:
            key = line_key(text)
            if not key:
                continue
            if key in said:
                problems.append(f"panels.{i}.{where}: {excerpt(text)} was said before; "
                                "write what happens next, in new words")
            said.add(key)
    return problems


def twice_named(bible: BibleWriting) -> list[str]:
    """A readability problem, not a failure: the same name twice is kept once (and a story
    with one character is reported by the review)."""
    seen: set[str] = set()
    problems = []
    for i, character in enumerate(bible.characters):
        if character.name.lower() in seen:
            problems.append(f"characters.{i}.name: {character.name!r} is already a character;"
                            " give each character a name of their own")
        seen.add(character.name.lower())
    return problems


def only_ids(ids: list[str]) -> Narrowing:
    """Grammar narrowing: character-id fields may only hold these ids."""

    def narrow(_key: str | None, node: dict[str, Any]) -> dict[str, Any] | None:
        if node.get("pattern") == CHARACTER_ID_PATTERN:
            return {"type": "string", "enum": list(ids)}
        return None

    return narrow


def story_vocabulary(brief: Brief, bible: SeriesBible | None = None) -> Vocabulary:
    """Words the story makes known beside the dictionary: the brief's, and the bible's
    title and names (a made-up name is in no dictionary, but it is in the story)."""
    extra = [brief.title, brief.brief]
    if bible is not None:
        extra += [bible.title, *(c.name for c in bible.characters)]
    return Vocabulary(extra)


# -- the agent -------------------------------------------------------------------------------
def write_bible(ctx: AgentContext, brief: Brief) -> SeriesBible:
    """The series bible: title, logline, world, characters (ids derived from their names),
    arc."""
    readable = ctx.readable(story_vocabulary(brief))
    written = generate(
        agent=AGENT,
        task="bible",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={"task": "bible", "brief": brief.model_dump()},
        schema=BibleWriting,
        max_attempts=ctx.max_attempts,
        readable=lambda b: twice_named(b) + readable(b),
        readable_retries=ctx.readability.retries,
    )
    return written.to_bible()


def write_episode(
    ctx: AgentContext,
    brief: Brief,
    bible: SeriesBible,
    number: int,
    previous_summaries: list[str],
) -> EpisodeScript:
    """One episode: an outline that continues from earlier episodes, then each scene's
    panels; panels are numbered across the episode."""
    outline = write_outline(ctx, brief, bible, number, previous_summaries)
    return write_panels(ctx, brief, bible, number, previous_summaries, outline)


def _common(brief: Brief, bible: SeriesBible, number: int, previous: list[str]
            ) -> dict[str, Any]:
    return {"brief": brief.model_dump(), "bible": bible.model_dump(), "episode": number,
            "previous": previous}


def write_outline(
    ctx: AgentContext,
    brief: Brief,
    bible: SeriesBible,
    number: int,
    previous_summaries: list[str],
    *,
    variant: int = 1,
    variants: int = 1,
) -> EpisodeOutline:
    """The episode's outline; ``variant`` of ``variants`` when members curate among several
    (each asked to take the story its own way)."""
    written = generate(
        agent=AGENT,
        task="outline" if variants == 1 else f"outline {variant}/{variants}",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={"task": "outline", **_common(brief, bible, number, previous_summaries),
                "variant": variant, "variants": variants},
        schema=OutlineWriting,
        check=lambda o: check_outline(o, bible),
        max_attempts=ctx.max_attempts,
        readable=ctx.readable(story_vocabulary(brief, bible)),
        readable_retries=ctx.readability.retries,
        narrow=only_ids([c.id for c in bible.characters]),
    )
    return written.to_outline()


def write_panels(
    ctx: AgentContext,
    brief: Brief,
    bible: SeriesBible,
    number: int,
    previous_summaries: list[str],
    outline: EpisodeOutline,
) -> EpisodeScript:
    """The panels of each scene of ``outline``, numbered across the episode."""
    common = _common(brief, bible, number, previous_summaries)
    readable = ctx.readable(story_vocabulary(brief, bible))
    scenes: list[Scene] = []
    next_number = 1
    said: set[str] = set()
    for index, beat in enumerate(outline.scenes):
        written = generate(
            agent=AGENT,
            task="panels",
            prompt=ctx.prompt,
            handle=ctx.handle,
            log=ctx.log,
            inputs={
                "task": "panels",
                **common,
                "outline": outline.model_dump(),
                "scene": beat.model_dump(),
                "scene_number": index + 1,
            },
            schema=ScenePanelsWriting,
            check=lambda s: check_scene(s, bible),
            max_attempts=ctx.max_attempts,
            readable=lambda s, said=frozenset(said): repeated_lines(s, said) + readable(s),
            readable_retries=ctx.readability.retries,
            narrow=only_ids(beat.characters),
        )
        actions = {line_key(p.action) for p in written.panels}
        panels = [draft.to_panel(next_number + i, said) for i, draft in enumerate(written.panels)]
        said |= actions
        next_number += len(panels)
        scenes.append(Scene(setting=beat.setting, beat=beat.beat, panels=tuple(panels)))
    return EpisodeScript(
        number=number, title=outline.title, summary=outline.summary, scenes=tuple(scenes)
    )
