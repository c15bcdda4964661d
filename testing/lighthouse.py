"""The Lighthouse Keepers: the one fixture series of the tests, benchmarks and the scripted
cast (a goal, a series bible, an outline, character palettes)."""

from __future__ import annotations

from typing import Any

TITLE = "The Lighthouse Keepers"
BRIEF = "Two keepers and a storm."

CHARACTERS: list[dict[str, str]] = [
    {"id": "mara", "name": "Mara", "role": "protagonist", "look": "Tall, yellow raincoat.",
     "personality": "Stubborn and curious."},
    {"id": "old_tom", "name": "Old Tom", "role": "mentor", "look": "White beard, blue cap.",
     "personality": "Gruff but kind."},
    {"id": "gull", "name": "Gull", "role": "supporting", "look": "A grey gull with one "
     "white feather.", "personality": "Restless and loud."},
]

#: The series bible as the scriptwriter's schema has it (``SeriesBible.model_validate``).
BIBLE: dict[str, Any] = {
    "title": TITLE,
    "logline": "Two keepers guard a light that the sea wants out.",
    "tone": "mystery",
    "world": "A rocky island, a tall lighthouse, storms every night.",
    "characters": CHARACTERS,
    "arc": "They learn the storm is a messenger, not an enemy.",
}

#: The bible as the scriptwriter's model writes it: names, no ids (code derives them).
BIBLE_WRITING: dict[str, Any] = {
    **BIBLE, "characters": [{k: v for k, v in c.items() if k != "id"} for c in CHARACTERS]}

#: Skin, hair, outfit, accent of each character's sheet.
PALETTES: dict[str, tuple[str, str, str, str]] = {
    "mara": ("light", "#5A3825", "#F2C230", "#2B6CB0"),  # skin: a tone by name
    "old_tom": ("olive", "#EEEEEE", "#1F3A5F", "#8B0000"),
    "gull": ("white", "#9E9E9E", "#BDBDBD", "#F6A623"),
}


def outline(episode: int, first_scene_cast: list[str]) -> dict[str, Any]:
    """An episode outline of two scenes, the first with ``first_scene_cast``."""
    return {
        "title": f"Storm {episode}",
        "summary": f"Storm number {episode} hits the island; the keepers hold the light.",
        "scenes": [
            {"setting": "The lamp room at dusk", "characters": first_scene_cast,
             "beat": "Tom shows Mara how to trim the wick."},
            {"setting": "The rocks at midnight", "characters": ["mara"],
             "beat": "Mara sees a green light under the water."},
        ],
    }


def sheet_writing(character_id: str) -> dict[str, Any]:
    """A character sheet as the designer's model writes it (no name, id or look: those are
    the bible's)."""
    skin, hair, outfit, accent = PALETTES[character_id]
    return {
        "silhouette": "A tall narrow shape.", "costume": "Weatherproof gear.",
        "palette": {"skin": skin, "hair": hair, "outfit": outfit, "accent": accent},
        "expressions": ["neutral", "happy", "determined"],
    }


def sheet(character_id: str) -> dict[str, Any]:
    """A stored character sheet (``CharacterSheet.model_validate``)."""
    from atelier.agents.designer import SKIN_TONES

    entry = next(c for c in CHARACTERS if c["id"] == character_id)
    written = sheet_writing(character_id)
    palette = {**written["palette"], "skin": SKIN_TONES[written["palette"]["skin"]]}
    return {"character_id": character_id, "name": entry["name"], "appearance": entry["look"],
            **written, "palette": palette}
