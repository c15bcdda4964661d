"""What the scriptwriter's model writes, and how code turns it into the stored script.

Every prose, title and name field is word-shaped (``atelier.agents.text_shapes``), so the
grammar a backend builds from the JSON schema keeps markup and debris out. The model never
writes a character id: it names the characters in the bible and code derives the ids
(``Mara`` → ``mara``, ``Old Tom`` → ``old_tom``, unique); later steps choose among those ids
from an enum built for the call. A panel must carry a line of dialogue (the scene has
characters to speak it: without this the bundled model wrote none at all), and whoever
speaks is shown in the panel — code adds a speaker the model left out of the panel's list.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from atelier.agents import text_shapes as shapes
from atelier.agents.readability import words_of
from atelier.agents.script_models import (
    BibleCharacter,
    CharacterId,
    DialogueLine,
    EpisodeOutline,
    LineStyle,
    Mood,
    PanelScript,
    Role,
    SceneBeat,
    SeriesBible,
    Shot,
    Tone,
    Words,
)

#: Ids that mean something else in a script (a caption box is not a character).
RESERVED_IDS = frozenset({"narrator", "caption"})
_ID_CHARS = 24


class _Writing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CharacterWriting(_Writing):
    name: shapes.Name = Field(description="one to three capitalised words, like 'Old Tom'")
    role: Role
    look: shapes.prose(Words.LOOK) = Field(description="what they look like, in one sentence")
    personality: shapes.prose(Words.PERSONALITY)


class BibleWriting(_Writing):
    title: shapes.title(Words.TITLE)
    logline: shapes.prose(Words.LOGLINE)
    tone: Tone
    world: shapes.prose(Words.WORLD)
    characters: list[CharacterWriting] = Field(min_length=2, max_length=4)
    arc: shapes.prose(Words.ARC) = Field(description="how the series develops over its episodes")

    def to_bible(self) -> SeriesBible:
        ids = character_ids([c.name for c in self.characters])
        return SeriesBible(
            title=self.title, logline=self.logline, tone=self.tone, world=self.world,
            characters=[BibleCharacter(id=cid, **c.model_dump())
                        for cid, c in zip(ids, self.characters, strict=True)],
            arc=self.arc)


class SceneWriting(_Writing):
    setting: shapes.prose(Words.SETTING)
    characters: list[CharacterId] = Field(min_length=1, max_length=4)
    beat: shapes.prose(Words.BEAT) = Field(description="what happens in this scene")


class OutlineWriting(_Writing):
    title: shapes.title(Words.TITLE)
    summary: shapes.prose(Words.SUMMARY)
    scenes: list[SceneWriting] = Field(min_length=2, max_length=3)

    def to_outline(self) -> EpisodeOutline:
        return EpisodeOutline(title=self.title, summary=self.summary, scenes=[
            SceneBeat(setting=s.setting, characters=list(dict.fromkeys(s.characters)),
                      beat=s.beat) for s in self.scenes])


class LineWriting(_Writing):
    speaker: CharacterId
    text: shapes.sentences(*Words.LINE)
    style: LineStyle = "speech"


class PanelWriting(_Writing):
    shot: Shot
    action: shapes.prose(Words.ACTION) = Field(description="what we see in the panel")
    characters: list[CharacterId] = Field(min_length=1, max_length=4)
    mood: Mood
    dialogue: list[LineWriting] = Field(min_length=1, max_length=2)
    caption: shapes.sentences(*Words.CAPTION, optional=True) = ""

    def to_panel(self, number: int, said: set[str]) -> PanelScript:
        """The stored panel. A line or caption the episode already has (``said``, updated
        here) is left out: the bundled model repeats itself even when told not to, and a
        comic that says the same thing twice reads worse than a quieter panel."""
        lines = []
        for line in self.dialogue:
            if (key := line_key(line.text)) not in said:
                said.add(key)
                lines.append(DialogueLine(**line.model_dump()))
        caption = ""
        if (key := line_key(self.caption)) and key not in said:
            said.add(key)
            caption = self.caption
        # Whoever speaks is in the panel (the grammar cannot tie one list to the other);
        # when that makes more than four, the silent ones leave first.
        listed = list(dict.fromkeys(self.characters))
        speakers = list(dict.fromkeys(d.speaker for d in lines))
        silent = [c for c in listed if c not in speakers][:max(0, 4 - len(speakers))]
        shown = [c for c in listed if c in speakers or c in silent]
        shown += [s for s in speakers if s not in shown]
        return PanelScript(number=number, shot=self.shot, action=self.action,
                           characters=shown, mood=self.mood, caption=caption,
                           dialogue=lines)


class ScenePanelsWriting(_Writing):
    panels: list[PanelWriting] = Field(min_length=2, max_length=4)


def line_key(text: str) -> str:
    """What makes two lines the same line: their words, in lower case."""
    return " ".join(w.lower() for w in words_of(text))


def character_ids(names: list[str]) -> list[str]:
    """A stable, unique lowercase id for each name: ``Old Tom`` → ``old_tom``; a second
    ``Mara`` → ``mara_2``; a reserved word gets a suffix (``narrator_2``)."""
    taken: set[str] = set()
    ids = []
    for name in names:
        base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        if not base or not base[0].isalpha():
            base = f"c_{base}".rstrip("_")
        base = base[:_ID_CHARS].rstrip("_")
        if len(base) < 2:
            base = f"{base}_c"
        candidate, n = base, 1
        while candidate in taken or candidate in RESERVED_IDS:
            n += 1
            suffix = f"_{n}"
            candidate = base[:_ID_CHARS - len(suffix)].rstrip("_") + suffix
        taken.add(candidate)
        ids.append(candidate)
    return ids
