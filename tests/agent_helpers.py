"""Agents under test: the shipped prompt files with a scripted chat model at the seam."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from atelier.agents.calls import MemoryCallLog
from atelier.agents.context import AgentContext
from atelier.agents.models.factory import ChatModelHandle
from atelier.agents.prompt_file import load_prompt
from atelier.testing import lighthouse
from atelier.testing.scripted_model import ScriptedChatModel

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def scripted_context(agent: str, *replies: Any, max_attempts: int = 3) -> AgentContext:
    """An AgentContext whose model answers with ``replies`` in order (dicts become JSON)."""
    model = ScriptedChatModel()
    for reply in replies:
        model.enqueue(json.dumps(reply) if isinstance(reply, dict) else reply)
    handle = ChatModelHandle(model=model, provider="scripted", model_name="scripted")
    return AgentContext(prompt=load_prompt(PROMPTS / f"{agent}.prompty"), handle=handle,
                        log=MemoryCallLog(), max_attempts=max_attempts)


#: The Lighthouse bible with its first two characters (Mara and Old Tom), stored...
BIBLE = {**lighthouse.BIBLE, "characters": lighthouse.CHARACTERS[:2]}
#: ... and as the model writes it: names, no ids.
BIBLE_WRITING = {**lighthouse.BIBLE_WRITING,
                 "characters": lighthouse.BIBLE_WRITING["characters"][:2]}

OUTLINE = {
    "title": "The First Storm",
    "summary": "A storm hits; Mara sees a light under the waves.",
    "scenes": [
        {"setting": "The lamp room at dusk", "characters": ["mara", "old_tom"],
         "beat": "Tom shows Mara how to trim the wick."},
        {"setting": "The rocks at midnight", "characters": ["mara"],
         "beat": "Mara sees a green light under the water."},
    ],
}


def panels(*specs: tuple[str, list[str]]) -> dict[str, Any]:
    """Scene panels as the model writes them: each spec is (action, speaking character ids);
    no speakers means Mara is shown and speaks (a panel carries a line)."""
    return {"panels": [
        {"shot": "medium", "action": action, "characters": speakers or ["mara"],
         "mood": "neutral",
         # Prose names the speaker as a person does: "Old Tom", not the id "old_tom"; each
         # line its own (the scriptwriter drops a line the episode already has).
         "dialogue": [{"speaker": s, "text": f"{s.replace('_', ' ').title()} says: {action}",
                       "style": "speech"} for s in speakers or ["mara"]],
         "caption": ""}
        for action, speakers in specs
    ]}
