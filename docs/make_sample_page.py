"""Render the sample page shown in the README: a hand-written episode of "The Lighthouse
Keepers" drawn by Atelier's own renderer (atelier.pictures), as the studio draws the agents'
scripts. Deterministic: the same code gives the same PNG, byte for byte.

    uv run python docs/make_sample_page.py          # writes docs/sample-page.png
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from atelier.agents.designer import CharacterSheet, Palette
from atelier.agents.layout_solver import PanelRequest, solve_layout
from atelier.agents.scriptwriter import (
    BibleCharacter,
    DialogueLine,
    EpisodeScript,
    PanelScript,
    Scene,
    SeriesBible,
)
from atelier.pictures import render_episode

HERE = Path(__file__).resolve().parent

BIBLE = SeriesBible(
    title="The Lighthouse Keepers",
    logline="Two keepers and a boy guard the last lighthouse on a coast the sea still talks to.",
    tone="mystery",
    world="A rocky island off a windswept coast, a tall white lighthouse, and a sea that "
    "returns what it takes.",
    arc="They learn that the light has been answering someone for fifty years.",
    characters=[
        BibleCharacter(id="mara", name="Mara", role="protagonist",
                       look="a tall girl with long red hair in a ponytail and a yellow raincoat",
                       personality="stubborn, curious, never lets a mystery go"),
        BibleCharacter(id="tom", name="Old Tom", role="mentor",
                       look="a stout old man with a white beard, round glasses and a blue cap",
                       personality="gruff, kind, keeps more secrets than lamps"),
        BibleCharacter(id="pip", name="Pip", role="sidekick",
                       look="a small boy with spiky black hair and a striped jumper",
                       personality="cheeky, loud, braver than he looks"),
    ],
)

SHEETS = {
    "mara": CharacterSheet(
        character_id="mara", name="Mara",
        appearance="tall girl, long red hair in a ponytail, freckles",
        silhouette="tall and narrow, ponytail swinging", costume="yellow raincoat, green boots",
        palette=Palette(skin="#f2c9a0", hair="#b8412c", outfit="#f2c12e", accent="#2e7d4f"),
        expressions=["neutral", "surprised", "thinking", "determined"]),
    "tom": CharacterSheet(
        character_id="tom", name="Old Tom",
        appearance="stout old man, white beard, round glasses",
        silhouette="broad and round under a cap", costume="navy pea coat, blue cap",
        palette=Palette(skin="#d9a27a", hair="#eeeeee", outfit="#23395b", accent="#b23a48"),
        expressions=["neutral", "sad", "thinking"]),
    "pip": CharacterSheet(
        character_id="pip", name="Pip", appearance="small boy, spiky black hair",
        silhouette="small, all elbows", costume="striped jumper, rolled-up trousers",
        palette=Palette(skin="#8d5524", hair="#1a1a1a", outfit="#3f88c5", accent="#f49d37"),
        expressions=["happy", "surprised", "laugh"]),
}


def line(speaker: str, text: str, style: str = "speech") -> DialogueLine:
    return DialogueLine.model_validate({"speaker": speaker, "text": text, "style": style})


def panel(number: int, shot: str, characters: list[str], mood: str, action: str,
          dialogue: list[DialogueLine], caption: str = "") -> PanelScript:
    return PanelScript.model_validate({
        "number": number, "shot": shot, "characters": characters, "mood": mood,
        "action": action, "dialogue": dialogue, "caption": caption})


SCRIPT = EpisodeScript(
    number=3,
    title="What the Tide Brought",
    summary="After the storm the sea leaves a bottle on the beach, sealed in green wax, and "
    "Old Tom knows whose hand wrote the letter inside.",
    scenes=(
        Scene(setting="The beach below the lighthouse, at dawn",
              beat="Pip finds a bottle the storm brought in.",
              panels=(
                  panel(1, "wide", ["pip", "mara"], "surprised",
                        "Pip waves from the tide line; Mara runs down the path.",
                        [line("pip", "MARA! THE SEA LEFT SOMETHING ON THE BEACH!", "shout")],
                        caption="The morning after the storm."),
                  panel(2, "medium", ["mara", "pip"], "thinking",
                        "Mara turns the bottle over in her hands.",
                        [line("mara", "A bottle... sealed with green wax."),
                         line("pip", "Open it! Open it!")]),
                  panel(3, "close", ["mara"], "surprised", "Mara reads the letter.",
                        [line("mara", "It's Gran's handwriting!", "thought")]),
              )),
        Scene(setting="The lamp room, that evening",
              beat="Old Tom recognises the letter.",
              panels=(
                  panel(4, "medium", ["tom", "mara"], "sad",
                        "Tom holds the letter up to the lamp.",
                        [line("tom", "Where did you find this?"),
                         line("mara", "The tide. She wrote it in 1974.")]),
                  panel(5, "close", ["tom"], "thinking", "Tom takes off his glasses.",
                        [line("tom", "Then the light has been answering her all along.",
                              "whisper")]),
                  panel(6, "wide", ["tom", "mara", "pip"], "determined",
                        "The three of them at the great lamp, the sea dark beyond.",
                        [line("pip", "So... are we writing back?"),
                         line("mara", "Tonight. Tom, light the lamp.")],
                        caption="The light burned until dawn."),
              )),
    ),
)

EMPHASIS = {1: "large", 6: "large"}


def render(out: Path) -> list[str]:
    """Write the episode's first comic page to ``out``; returns the renderer's findings
    (text that had to shrink or be cut: there should be none)."""
    requests = [PanelRequest(str(p.number), EMPHASIS.get(p.number, "normal"), p.shot)
                for p in SCRIPT.panels]
    pages = solve_layout(requests)
    with tempfile.TemporaryDirectory() as tmp:
        rendered = render_episode(SCRIPT, pages, SHEETS, BIBLE, Path(tmp),
                                  series_title=BIBLE.title)
        shutil.copyfile(rendered.pages_png[0], out)
    return rendered.findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "sample-page.png")
    args = parser.parse_args()
    findings = render(args.out)
    for finding in findings:
        print(f"finding: {finding}")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
