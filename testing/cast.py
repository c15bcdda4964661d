"""A scripted cast for the production graph: each agent's model answers from the request.

Answers are read off the rendered prompt (which task, which character, how many panels), so
concurrent branches may call in any order. ``respond`` is the Lighthouse cast (from episode
2 on the gull joins, so later episodes design a new character); ``cast_answer(n)`` is a cast
of ``n`` characters who are all new in episode 1 (the fan-out benchmark).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage

from atelier.testing import lighthouse
from atelier.testing.editor_cast import editor_answer

Answer = Callable[[list[BaseMessage]], str]


def _text(messages: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


#: Each scene's two panels: (action, caption, whispered line) and (action, spoken line).
#: Scenes differ, so an episode repeats no line (the readability measure reports repeated
#: lines, and the scriptwriter drops a line the episode already has).
_SCENES = [
    (("Rain lashes the tower.", "That night.", "What a storm."),
     ("The keeper raises a lantern.", "Hold the light steady.")),
    (("Waves break on the rocks below the lighthouse.", "Later, by the water.", "So cold."),
     ("The keeper points at a green glow under the sea.", "Look, down there!")),
    (("Storm clouds roll over the island.", "At dawn.", "Here it comes."),
     ("The keeper climbs the stairs to the lamp.", "The light must not go out.")),
]


def _panels(cast: list[str], scene: int = 1) -> dict[str, Any]:
    (action, caption, whisper), (second, line) = _SCENES[(scene - 1) % len(_SCENES)]
    speaker = cast[0]
    return {"panels": [
        {"shot": "wide", "action": action, "characters": cast,
         "mood": "determined", "caption": caption,
         "dialogue": [{"speaker": cast[-1], "text": whisper, "style": "whisper"}]},
        {"shot": "medium", "action": second, "characters": cast,
         "mood": "neutral",
         "dialogue": [{"speaker": speaker, "text": line,
                       "style": "speech"}], "caption": ""},
    ]}


def respond(messages: list[BaseMessage]) -> str:
    text = _text(messages)
    if "Create the series bible." in text:
        return json.dumps(lighthouse.BIBLE_WRITING)
    if match := re.search(r"Outline episode (\d+)", text):
        episode = int(match.group(1))
        cast = ["mara", "old_tom"] + (["gull"] if episode > 1 else [])
        outline = lighthouse.outline(episode, cast)
        if variant := re.search(r"This is version (\d+) of", text):
            outline["title"] += f", take {variant.group(1)}"  # variants members tell apart
        return json.dumps(outline)
    if (editor := editor_answer(messages)) is not None:
        return editor
    if match := re.search(r"Characters in this scene: (.+)", text):
        scene = re.search(r"Now write scene (\d+)", text)
        return json.dumps(_panels([c.strip() for c in match.group(1).split(",")],
                                  int(scene.group(1)) if scene else 1))
    if match := re.search(r'\(id "([a-z_]+)"\)', text):
        return json.dumps(lighthouse.sheet_writing(match.group(1)))
    if numbers := re.findall(r"^- panel (\d+) \(", text, re.MULTILINE):
        return json.dumps({"panels": [
            {"panel": int(n), "emphasis": "large" if i == 0 else "normal",
             "shot": "medium", "page_break_before": False}
            for i, n in enumerate(numbers)]})
    raise AssertionError(f"the scripted studio has no answer for: {text[-300:]!r}")


def cast_answer(size: int) -> Answer:
    """A scripted cast of ``size`` (≤ 4) characters, all in episode 1's first scene."""
    names = ["Mara", "Tom", "Gull", "Ines"][:size]
    ids = [n.lower() for n in names]
    bible = {"title": lighthouse.TITLE, "logline": "Keepers guard a light.",
             "tone": "mystery", "world": "A rocky island with a lighthouse.",
             "characters": [{"name": n, "role": "supporting", "look": f"{n}'s look.",
                             "personality": "Curious."} for n in names],
             "arc": "The storm is a messenger."}

    def answer(messages: list[BaseMessage]) -> str:
        text = _text(messages)
        if "Create the series bible." in text:
            return json.dumps(bible)
        if match := re.search(r"Outline episode (\d+)", text):
            return json.dumps({"title": f"Storm {match.group(1)}", "summary": "A storm hits.",
                               "scenes": [{"setting": "The lamp room", "characters": ids,
                                           "beat": "Everyone meets."},
                                          {"setting": "The rocks", "characters": ids[:1],
                                           "beat": "A green light."}]})
        if re.search(r'\(id "([a-z_]+)"\)', text):
            return json.dumps({
                "silhouette": "Narrow.", "costume": "A raincoat.",
                "palette": {"skin": "light", "hair": "#5A3825", "outfit": "#F2C230",
                            "accent": "#2B6CB0"},
                "expressions": ["neutral", "happy"]})
        return respond(messages)  # scene panels and layout: the Lighthouse cast

    return answer
