"""The character designer: one character sheet per new character (appearance, silhouette,
costume, a palette of hex colours with their use, expressions), consistent with the bible.
A sheet is revised only when the bible's entry for that character changes.

The sheet's name, id and appearance are the bible's, copied by code: the model writes only
what the bible does not say (silhouette, costume, palette, expressions), in word-shaped
text (``atelier.agents.text_shapes``). Left to write them, the bundled model renamed the
same character ``Lena_A-LIGHTER_SHOP_4`` with the appearance ``[<p>Thelana Alessi</p>``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from atelier.agents import text_shapes as shapes
from atelier.agents.context import AgentContext
from atelier.agents.readability import Vocabulary
from atelier.agents.scriptwriter import (
    BibleCharacter,
    CharacterId,
    Mood,
    SeriesBible,
    Words,
    _text,
)
from atelier.agents.structured import generate

AGENT = "designer"

HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class Palette(BaseModel):
    """Each colour named by its use, so every sheet has all four (a grammar guarantees it
    where the backend has one; validation everywhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skin: HexColour
    hair: HexColour
    outfit: HexColour
    accent: HexColour = Field(description="a second outfit colour or an accessory")

    def swatches(self) -> list[tuple[str, str]]:
        """(usage, hex) pairs in a stable order, for rendering sheets."""
        return [(usage, getattr(self, usage)) for usage in type(self).model_fields]


#: Skin tones the model names; code paints them. Asked for a hex skin colour, the bundled
#: model copied the prompt's example (blue) into every face; a name cannot be blue.
SKIN_TONES: dict[str, str] = {
    "pale": "#F7DCC7", "fair": "#F2C9A0", "light": "#E8B894", "olive": "#D9A27E",
    "tan": "#B9855C", "brown": "#8D5524", "dark": "#6B3E26", "deep": "#4A2A1A",
    # for the gulls, robots and ghosts a story may hold
    "white": "#F5F5F5", "grey": "#9E9E9E", "green": "#7FB069",
}
SkinTone = Literal["pale", "fair", "light", "olive", "tan", "brown", "dark", "deep", "white",
                   "grey", "green"]


class PaletteWriting(BaseModel):
    """The palette as the model writes it: a skin tone by name, the other colours in hex."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    skin: SkinTone
    hair: HexColour
    outfit: HexColour
    accent: HexColour = Field(description="a second outfit colour or an accessory")

    def to_palette(self) -> Palette:
        return Palette(skin=SKIN_TONES[self.skin], hair=self.hair, outfit=self.outfit,
                       accent=self.accent)


SILHOUETTE_WORDS = 20
COSTUME_WORDS = 24


def _once_each(expressions: list[Mood]) -> list[Mood]:
    # A repeated expression says nothing new: drop repeats rather than reject the sheet.
    # Every character has a resting face, so a sheet left with one expression gets
    # "neutral" (or "happy" beside a neutral one) as its second.
    unique = list(dict.fromkeys(expressions))
    if len(unique) == 1:
        unique.append("happy" if unique[0] == "neutral" else "neutral")
    return unique


class SheetWriting(BaseModel):
    """What the model writes of a sheet; ``to_sheet`` adds the bible's name, id and look."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    silhouette: shapes.prose(SILHOUETTE_WORDS) = Field(
        description="the shape that makes them recognisable")
    costume: shapes.prose(COSTUME_WORDS)
    palette: PaletteWriting
    expressions: list[Mood] = Field(min_length=2, max_length=4)

    def to_sheet(self, character: BibleCharacter) -> CharacterSheet:
        return CharacterSheet(character_id=character.id, name=character.name,
                              appearance=character.look,
                              **{**self.model_dump(), "palette": self.palette.to_palette()})


class CharacterSheet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    character_id: CharacterId
    # Bounds at least the bible's and the draft's, so any sheet built from them is valid.
    name: _text(max(40, shapes.NAME_CHARS))
    appearance: _text(max(300, shapes.prose_chars(Words.LOOK)))
    silhouette: _text(max(160, shapes.prose_chars(SILHOUETTE_WORDS))) = Field(
        description="the shape that makes them recognisable")
    costume: _text(max(200, shapes.prose_chars(COSTUME_WORDS)))
    palette: Palette
    expressions: list[Mood] = Field(min_length=2, max_length=6)

    @field_validator("expressions")
    @classmethod
    def _once(cls, expressions: list[Mood]) -> list[Mood]:
        return _once_each(expressions)


def character_fingerprint(character: BibleCharacter) -> str:
    """Changes exactly when the bible's entry for the character changes."""
    text = json.dumps(character.model_dump(), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def needs_sheet(character: BibleCharacter, designed_from: str | None) -> bool:
    """True for a new character, or one whose bible entry changed since its sheet."""
    return designed_from != character_fingerprint(character)


def check_sheet(sheet: SheetWriting | CharacterSheet) -> list[str]:
    problems = []
    palette = sheet.palette.to_palette() if isinstance(sheet, SheetWriting) else sheet.palette
    if palette.outfit.lower() == palette.skin.lower():
        problems.append("palette: the outfit needs another colour than the skin")
    return problems


def design_character(
    ctx: AgentContext, bible: SeriesBible, character: BibleCharacter, appearances: list[str]
) -> CharacterSheet:
    """A sheet for ``character``; ``appearances`` are script lines showing them in action."""
    written = generate(
        agent=AGENT,
        task="character sheet",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={
            "bible": bible.model_dump(),
            "character": character.model_dump(),
            "appearances": appearances[:6],
        },
        schema=SheetWriting,
        check=check_sheet,
        max_attempts=ctx.max_attempts,
        # The bible's title and names are words of this story, not junk.
        readable=ctx.readable(Vocabulary([bible.title, *(c.name for c in bible.characters)])),
        readable_retries=ctx.readability.retries,
    )
    return written.to_sheet(character)
