"""The scriptwriter: a series bible once per goal, then each episode in small steps
(Dramatron-style: bible -> episode outline -> panels per scene), so a small model only ever
writes one short, well-defined piece at a time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from atelier.agents.context import AgentContext
from atelier.agents.readability import Vocabulary
from atelier.agents.structured import Narrowing, generate

AGENT = "scriptwriter"

CHARACTER_ID_PATTERN = r"^[a-z][a-z0-9_]{1,23}$"
CharacterId = Annotated[str, StringConstraints(pattern=CHARACTER_ID_PATTERN)]
Role = Literal["protagonist", "sidekick", "antagonist", "mentor", "supporting"]
Tone = Literal[
    "adventure",
    "comedy",
    "mystery",
    "drama",
    "fantasy",
    "science fiction",
    "slice of life",
    "spooky",
]
Shot = Literal["wide", "medium", "close"]
Mood = Literal[
    "neutral",
    "happy",
    "laugh",
    "angry",
    "sad",
    "surprised",
    "scared",
    "confused",
    "determined",
    "thinking",
]
LineStyle = Literal["speech", "thought", "whisper", "shout"]


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True)
    ]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Brief(_Model):
    """What governance asked for (from the approved goal), as the agents see it."""

    title: _text(120)
    brief: _text(4000, 0) = ""
    format: _text(40) = "serialized comic"
    episodes: int = 2


class BibleCharacter(_Model):
    id: CharacterId = Field(description="stable lowercase id, e.g. 'mara' or 'old_tom'")
    name: _text(40)
    role: Role
    look: _text(200) = Field(description="what they look like, in one sentence")
    personality: _text(200)


class SeriesBible(_Model):
    title: _text(80)
    logline: _text(240)
    tone: Tone
    world: _text(600)
    characters: list[BibleCharacter] = Field(min_length=1, max_length=5)
    arc: _text(400) = Field(description="how the series develops over its episodes")

    @field_validator("characters")
    @classmethod
    def _each_id_once(cls, characters: list[BibleCharacter]) -> list[BibleCharacter]:
        # Small models often list a character twice (same id, or same name under another
        # id); the first entry is the character.
        kept: list[BibleCharacter] = []
        for character in characters:
            if all(c.id != character.id and c.name.lower() != character.name.lower()
                   for c in kept):
                kept.append(character)
        return kept


class SceneBeat(_Model):
    setting: _text(120)
    characters: list[CharacterId] = Field(min_length=1, max_length=4)
    beat: _text(240) = Field(description="what happens in this scene")


class EpisodeOutline(_Model):
    title: _text(80)
    summary: _text(400)
    scenes: list[SceneBeat] = Field(min_length=1, max_length=3)


class DialogueLine(_Model):
    speaker: CharacterId
    text: _text(140)
    style: LineStyle = "speech"


class PanelDraft(_Model):
    """One panel as the model writes it; numbering is ours (positional), not the model's:
    one less thing a small model can get wrong."""

    shot: Shot
    action: _text(240) = Field(description="what we see in the panel")
    characters: list[CharacterId] = Field(max_length=4)
    mood: Mood
    dialogue: list[DialogueLine] = Field(default_factory=list, max_length=3)
    caption: _text(160, 0) = ""


class PanelScript(PanelDraft):
    number: int  # 1..N across the episode, in reading order


class ScenePanels(_Model):
    panels: list[PanelDraft] = Field(min_length=1, max_length=4)


class Scene(_Model):
    setting: str
    beat: str
    panels: tuple[PanelScript, ...]  # numbered 1..N across the whole episode


class EpisodeScript(_Model):
    number: int
    title: str
    summary: str
    scenes: tuple[Scene, ...]

    @model_validator(mode="after")
    def _numbered_in_order(self) -> EpisodeScript:
        numbers = [p.number for scene in self.scenes for p in scene.panels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"panel numbers must run 1..{len(numbers)} in order, got {numbers}")
        return self

    @property
    def panels(self) -> list[PanelScript]:
        return [panel for scene in self.scenes for panel in scene.panels]


# -- semantic checks -------------------------------------------------------------------------
def check_bible(bible: SeriesBible) -> list[str]:
    problems = []
    for character in bible.characters:
        if character.id in {"narrator", "caption"}:
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


def check_outline(outline: EpisodeOutline, bible: SeriesBible) -> list[str]:
    problems = []
    for i, scene in enumerate(outline.scenes):
        problems += _unknown_ids(scene.characters, bible, f"scenes.{i}.characters")
    return problems


def check_scene(scene: ScenePanels, bible: SeriesBible) -> list[str]:
    problems = []
    for i, panel in enumerate(scene.panels):
        problems += _unknown_ids(panel.characters, bible, f"panels.{i}.characters")
        for j, line in enumerate(panel.dialogue):
            problems += _unknown_ids([line.speaker], bible, f"panels.{i}.dialogue.{j}.speaker")
            if line.speaker not in panel.characters:
                problems.append(
                    f"panels.{i}.dialogue.{j}.speaker: {line.speaker!r} speaks "
                    "but is not in the panel's characters"
                )
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
    """The series bible: title, logline, world, characters with stable ids, arc."""
    return generate(
        agent=AGENT,
        task="bible",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={"task": "bible", "brief": brief.model_dump()},
        schema=SeriesBible,
        check=check_bible,
        max_attempts=ctx.max_attempts,
        readable=ctx.readable(story_vocabulary(brief)),
        readable_retries=ctx.readability.retries,
    )


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
    return generate(
        agent=AGENT,
        task="outline" if variants == 1 else f"outline {variant}/{variants}",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={"task": "outline", **_common(brief, bible, number, previous_summaries),
                "variant": variant, "variants": variants},
        schema=EpisodeOutline,
        check=lambda o: check_outline(o, bible),
        max_attempts=ctx.max_attempts,
        readable=ctx.readable(story_vocabulary(brief, bible)),
        readable_retries=ctx.readability.retries,
        narrow=only_ids([c.id for c in bible.characters]),
    )


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
            schema=ScenePanels,
            check=lambda s: check_scene(s, bible),
            max_attempts=ctx.max_attempts,
            readable=readable,
            readable_retries=ctx.readability.retries,
            narrow=only_ids(beat.characters),
        )
        panels = []
        for draft in written.panels:
            panels.append(PanelScript(number=next_number, **draft.model_dump()))
            next_number += 1
        scenes.append(Scene(setting=beat.setting, beat=beat.beat, panels=tuple(panels)))
    return EpisodeScript(
        number=number, title=outline.title, summary=outline.summary, scenes=tuple(scenes)
    )
