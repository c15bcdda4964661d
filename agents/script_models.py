"""The script's stored shapes: a goal's brief, the series bible, an episode's outline and
script. Layout, pictures, the reader and the store read these; the model never writes them
directly (it writes the word-shaped drafts of ``atelier.agents.script_writing``, which code
turns into these, character ids included).

Text bounds are loose on purpose: a stored bible or script from any earlier version still
loads, and each bound is at least the longest text the drafts' patterns accept.
"""

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

from atelier.agents import text_shapes as shapes

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


class Words:
    """How many words the model may write in each field (its draft's pattern holds it)."""

    TITLE = 8
    LOGLINE = 30
    WORLD = 50
    ARC = 40
    LOOK = 24
    PERSONALITY = 20
    SUMMARY = 40
    SETTING = 12
    BEAT = 30
    ACTION = 24
    #: Dialogue and captions are whole sentences: this many, of at most this many words.
    LINE = (2, 20)
    CAPTION = (2, 20)


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str, StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True)
    ]


def _prose(words: int, before: int, min_length: int = 1) -> Any:
    """A stored text field: the earlier bound ``before``, widened to what ``words`` words of
    a draft's pattern may take."""
    return _text(max(before, shapes.prose_chars(words)), min_length)


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
    name: _text(max(40, shapes.NAME_CHARS))
    role: Role
    look: _prose(Words.LOOK, 200) = Field(description="what they look like, in one sentence")
    personality: _prose(Words.PERSONALITY, 200)


class SeriesBible(_Model):
    title: _text(max(80, shapes.title_chars(Words.TITLE)))
    logline: _prose(Words.LOGLINE, 240)
    tone: Tone
    world: _prose(Words.WORLD, 600)
    characters: list[BibleCharacter] = Field(min_length=1, max_length=5)
    arc: _prose(Words.ARC, 400) = Field(description="how the series develops over its episodes")

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
    setting: _prose(Words.SETTING, 120)
    characters: list[CharacterId] = Field(min_length=1, max_length=4)
    beat: _prose(Words.BEAT, 240) = Field(description="what happens in this scene")


class EpisodeOutline(_Model):
    title: _text(max(80, shapes.title_chars(Words.TITLE)))
    summary: _prose(Words.SUMMARY, 400)
    scenes: list[SceneBeat] = Field(min_length=1, max_length=3)


class DialogueLine(_Model):
    speaker: CharacterId
    text: _text(max(140, shapes.sentences_chars(*Words.LINE)))
    style: LineStyle = "speech"


class PanelDraft(_Model):
    """One panel without its number (numbering is ours, positional, not the model's)."""

    shot: Shot
    action: _prose(Words.ACTION, 240) = Field(description="what we see in the panel")
    characters: list[CharacterId] = Field(max_length=4)
    mood: Mood
    dialogue: list[DialogueLine] = Field(default_factory=list, max_length=3)
    caption: _text(max(160, shapes.sentences_chars(*Words.CAPTION)), 0) = ""


class PanelScript(PanelDraft):
    number: int  # 1..N across the episode, in reading order


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
