"""Build an agent's runtime context from config.toml and the approved prompt version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from atelier.agents.context import AgentContext

if TYPE_CHECKING:
    from atelier.agents.calls import CallLog
    from atelier.agents.prompt_file import PromptFile
    from atelier.config import Config


def agent_context(
    agent: str, prompt: PromptFile, config: Config, log: CallLog, *, base_dir: Path
) -> AgentContext:
    """The chat model comes from [models], then [agents.<agent>], then the prompt's front
    matter (most specific wins); sampling parameters always come from the prompt."""
    from atelier.agents.models.factory import chat_model_for

    settings = config.models_for(agent)
    gguf = settings.local.gguf
    if gguf is not None and not gguf.is_absolute():
        local = settings.local.model_copy(update={"gguf": (base_dir / gguf).resolve()})
        settings = settings.model_copy(update={"local": local})
    handle = chat_model_for(settings, prompt.model.params, provider=prompt.model.provider,
                            model_name=prompt.model.name)
    return AgentContext(prompt=prompt, handle=handle, log=log,
                        max_attempts=config.agent(agent).max_attempts)
