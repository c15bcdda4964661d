"""What every agent call needs: its approved prompt, its chat model and the call log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel

from atelier.agents.readability import ReadabilitySettings, Vocabulary, readable_check
from atelier.agents.structured import DEFAULT_ATTEMPTS

if TYPE_CHECKING:
    from atelier.agents.calls import CallLog
    from atelier.agents.models.factory import ChatModelHandle
    from atelier.agents.prompt_file import PromptFile


@dataclass(frozen=True)
class AgentContext:
    prompt: PromptFile  # the approved version (content-addressed), not the working draft
    handle: ChatModelHandle
    log: CallLog
    max_attempts: int = DEFAULT_ATTEMPTS
    #: When a text field reads badly enough to be sent back to the model.
    readability: ReadabilitySettings = field(default_factory=ReadabilitySettings)

    def readable(self, vocabulary: Vocabulary) -> Callable[[BaseModel], list[str]]:
        """The readability check of this agent's replies (see ``structured.generate``)."""
        return readable_check(vocabulary, self.readability)
