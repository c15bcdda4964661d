"""The run-time context of the production graph: the studio, its store, the agents' models.

LangGraph hands ``RunContext`` to every node. In-process callers (the CLI, tests, benches)
pass ready objects; LangGraph's server can only pass plain values, so every object is also
built on first use from ``config_path`` / ``workspace`` and kept for the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from atelier.errors import AtelierError

if TYPE_CHECKING:
    from atelier.agents.calls import CallLog
    from atelier.agents.context import AgentContext
    from atelier.agents.prompt_file import PromptFile
    from atelier.store.database import Store
    from atelier.studio import Studio


class WorkflowError(AtelierError):
    """The run cannot go on as asked (a missing prompt version, an inactive goal, ...)."""


class AgentFactory(Protocol):
    """Builds an agent's context for one approved prompt version; the seam where tests and
    benchmarks put a scripted model."""

    def __call__(self, agent: str, prompt: PromptFile, log: CallLog) -> AgentContext: ...


@dataclass
class RunContext:
    #: config.toml of the studio (relative to the working directory).
    config_path: str = "config.toml"
    #: The studio's workspace folder; None = [workspace] path from the config.
    workspace: str | None = None
    #: Ready objects from an in-process caller; built from the paths above when absent.
    studio: Studio | None = None
    store: Store | None = None
    agents: AgentFactory | None = None
    #: Called with each progress event (``emit``), from the node's thread.
    progress: Callable[[dict[str, Any]], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _prompts: dict[str, PromptFile] = field(default_factory=dict, repr=False, compare=False)

    def get_studio(self) -> Studio:
        with self._lock:
            if self.studio is None:
                from atelier.studio import Studio

                workspace = Path(self.workspace) if self.workspace else None
                self.studio = Studio.load(Path(self.config_path), workspace)
            return self.studio

    def get_store(self) -> Store:
        studio = self.get_studio()
        with self._lock:
            if self.store is None:
                from atelier.store.database import Store, database_url

                self.store = Store.open(database_url(studio.config, studio.workspace))
            return self.store

    def agent(self, agent: str, prompt_hash: str, log: CallLog) -> AgentContext:
        """The agent with the prompt version governance approved (by content hash)."""
        factory = self.agents or self._configured_agent
        return factory(agent, self._prompt(agent, prompt_hash), log)

    def _prompt(self, agent: str, prompt_hash: str) -> PromptFile:
        """The prompt version by content hash; parsed once per process (versions never
        change: a new text is a new hash)."""
        from atelier.agents.prompt_store import PromptStore

        with self._lock:
            cached = self._prompts.get(prompt_hash)
        if cached is not None:
            return cached
        store = PromptStore(self.get_studio().workspace.prompt_store_dir)
        digest = bytes.fromhex(prompt_hash.removeprefix("0x"))
        if not store.has(digest):
            raise WorkflowError(
                f"the approved {agent} prompt {prompt_hash[:14]}… is not in this workspace",
                hint="`atelier prompts history " + agent + "` recovers texts carried by "
                "proposals; otherwise put the approved file in prompts/ and run it again",
            )
        prompt = store.get(digest)
        with self._lock:
            self._prompts[prompt_hash] = prompt
        return prompt

    def _configured_agent(self, agent: str, prompt: PromptFile, log: CallLog) -> AgentContext:
        from atelier.agent_runtime import agent_context

        studio = self.get_studio()
        return agent_context(agent, prompt, studio.config, log,
                             base_dir=studio.config_path.resolve().parent)



def emit(event: str, **fields: Any) -> None:
    """A progress event: to the run context's ``progress`` callback (the CLI shows them live)
    and on LangGraph's "custom" stream (LangGraph's server streams them to its clients)."""
    from langgraph.config import get_stream_writer
    from langgraph.runtime import get_runtime

    payload = {"event": event, **fields}
    get_stream_writer()(payload)
    context = get_runtime().context
    if isinstance(context, RunContext) and context.progress is not None:
        context.progress(payload)
