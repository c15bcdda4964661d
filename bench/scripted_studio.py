"""A scripted cast for the production graph: each agent's model answers from the request.

Tests and benchmarks run the real graph, agents, validation and call log with this at the
model seam (``RunContext.agents``). Answers are read off the rendered prompt (which task,
which character, how many panels), so concurrent branches may call in any order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from langchain_core.messages import BaseMessage

from atelier.agents.calls import CallLog
from atelier.agents.context import AgentContext
from atelier.agents.models.factory import ChatModelHandle
from atelier.agents.models.scripted import ScriptedChatModel
from atelier.agents.prompt_file import PromptFile

CHARACTERS = [
    {"id": "mara", "name": "Mara", "role": "protagonist", "look": "Tall, yellow raincoat.",
     "personality": "Stubborn and curious."},
    {"id": "old_tom", "name": "Old Tom", "role": "mentor", "look": "White beard, blue cap.",
     "personality": "Gruff but kind."},
    {"id": "gull", "name": "Gull", "role": "supporting", "look": "A grey gull with one "
     "white feather.", "personality": "Restless and loud."},
]

BIBLE = {
    "title": "The Lighthouse Keepers",
    "logline": "Two keepers guard a light that the sea wants out.",
    "tone": "mystery",
    "world": "A rocky island, a tall lighthouse, storms every night.",
    "characters": CHARACTERS,
    "arc": "They learn the storm is a messenger, not an enemy.",
}

_PALETTES = {
    "mara": ("#E8B894", "#5A3825", "#F2C230", "#2B6CB0"),
    "old_tom": ("#D9A27E", "#EEEEEE", "#1F3A5F", "#8B0000"),
    "gull": ("#F5F5F5", "#9E9E9E", "#BDBDBD", "#F6A623"),
}


def _text(messages: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


def _outline(episode: int, first_scene_cast: list[str]) -> dict[str, Any]:
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


def _panels(cast: list[str]) -> dict[str, Any]:
    speaker = cast[0]
    return {"panels": [
        {"shot": "wide", "action": "Rain lashes the tower.", "characters": cast,
         "mood": "determined", "dialogue": [], "caption": "That night."},
        {"shot": "medium", "action": "The keeper raises a lantern.", "characters": cast,
         "mood": "neutral",
         "dialogue": [{"speaker": speaker, "text": "Hold the light steady.",
                       "style": "speech"}], "caption": ""},
    ]}


def _sheet(character_id: str) -> dict[str, Any]:
    entry = next(c for c in CHARACTERS if c["id"] == character_id)
    skin, hair, outfit, accent = _PALETTES[character_id]
    return {
        "character_id": character_id, "name": entry["name"], "appearance": entry["look"],
        "silhouette": "A tall narrow shape.", "costume": "Weatherproof gear.",
        "palette": {"skin": skin, "hair": hair, "outfit": outfit, "accent": accent},
        "expressions": ["neutral", "happy", "determined"],
    }


def respond(messages: list[BaseMessage]) -> str:
    text = _text(messages)
    if "Create the series bible." in text:
        return json.dumps(BIBLE)
    if match := re.search(r"Outline episode (\d+)", text):
        episode = int(match.group(1))
        # From episode 2 on the gull joins, so later episodes design a new character.
        cast = ["mara", "old_tom"] + (["gull"] if episode > 1 else [])
        return json.dumps(_outline(episode, cast))
    if match := re.search(r"Characters in this scene: (.+)", text):
        return json.dumps(_panels([c.strip() for c in match.group(1).split(",")]))
    if match := re.search(r'\(id "([a-z_]+)"\)', text):
        return json.dumps(_sheet(match.group(1)))
    if numbers := re.findall(r"^- panel (\d+) \(", text, re.MULTILINE):
        return json.dumps({"panels": [
            {"panel": int(n), "emphasis": "large" if i == 0 else "normal",
             "shot": "medium", "page_break_before": False}
            for i, n in enumerate(numbers)]})
    raise AssertionError(f"the scripted studio has no answer for: {text[-300:]!r}")


def scripted_agents(latency_s: float = 0.0,
                    answer: Callable[[list[BaseMessage]], str] = respond,
                    ) -> Callable[[str, PromptFile, CallLog], AgentContext]:
    """An ``AgentFactory`` whose models answer with ``answer`` after ``latency_s``."""

    def factory(agent: str, prompt: PromptFile, log: CallLog) -> AgentContext:
        model = ScriptedChatModel(fallback=answer, latency_s=latency_s)
        handle = ChatModelHandle(model=model, provider="scripted", model_name="scripted")
        return AgentContext(prompt=prompt, handle=handle, log=log)

    return factory
