"""What every agent call needs: its approved prompt, its chat model and the call log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

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
