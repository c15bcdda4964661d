"""The run-time context of the production graph: the studio's services and its store.

LangGraph hands ``RunContext`` to every node. What the nodes need from a studio is the
``StudioServices`` protocol below, in the workflow's own words; the shell's ``Studio``
(``atelier.studio``) provides it. In-process callers (the CLI, tests, benches) pass a ready
studio; LangGraph's server can only pass plain values, so ``atelier.served_graph`` subclasses
``RunContext`` to build the studio from ``config_path`` / ``workspace`` on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from atelier.agents.calls import CallLog
    from atelier.agents.context import AgentContext
    from atelier.agents.prompt_file import PromptFile
    from atelier.agents.prompt_store import PromptStore
    from atelier.agents.readability import ReadabilitySettings
    from atelier.governance.accounts import Signer
    from atelier.governance.dao import StudioDAO
    from atelier.governance.member_messages import StudioDomain
    from atelier.pictures.settings import PicturesSettings
    from atelier.store.database import Store
    from atelier.workflows.budget import GoalBudget


class WorkflowError(AtelierError):
    """The run cannot go on as asked (a missing prompt version, an inactive goal, ...)."""


class RunStopped(WorkflowError):
    """The process asked the run to stop (the service on SIGTERM): it stopped between two
    nodes, its checkpoint intact."""


class StudioServices(Protocol):
    """What a production run needs from its studio."""

    @property
    def assets_dir(self) -> Path:
        """Where runs write their files (``run-N/...``)."""
        ...

    @property
    def prompt_store(self) -> PromptStore:
        """Prompt versions by content hash."""
        ...

    @property
    def pictures(self) -> PicturesSettings:
        """Who paints the panels."""
        ...

    @property
    def max_concurrency(self) -> int:
        """Graph branches (character sheets) run at once."""
        ...

    @property
    def curation_variants(self) -> int:
        """Outline variants per episode that members choose from (1: no curation)."""
        ...

    @property
    def curation_window(self) -> int:
        """Seconds of chain time a curation ballot stays open."""
        ...

    @property
    def rewrite_below(self) -> float:
        """Mean rating under which the editor drafts a rewrite of an agent (0: never)."""
        ...

    @property
    def readability(self) -> ReadabilitySettings:
        """Thresholds of the readability measure the review reports."""
        ...

    def working_prompt_path(self, agent: str) -> Path:
        """The agent's working prompt file (a draft until governance approves it)."""
        ...

    def session(self) -> AbstractContextManager[StudioDAO]:
        """The studio's DAO on its chain, for one atomic piece of chain work."""
        ...

    def operator(self) -> Signer:
        """The account that opens audit proposals."""
        ...

    def signing_domain(self) -> StudioDomain:
        """The EIP-712 domain members sign in (this chain, this studio's registry)."""
        ...

    def account_names(self) -> dict[str, str]:
        """address -> name of the accounts this studio knows (dev accounts or keystore)."""
        ...

    def agent_context(self, agent: str, prompt: PromptFile, log: CallLog) -> AgentContext:
        """The agent with an approved prompt version, on the chat model config picks."""
        ...

    def open_store(self) -> Store:
        """The studio's store."""
        ...

    def open_checkpointer(self) -> AbstractContextManager[BaseCheckpointSaver]:
        """Where the graph's checkpoints live."""
        ...

    def run_lock(self, run_id: int) -> AbstractContextManager[None]:
        """Held while a process drives the run; raises ``RunBusy`` if another one does."""
        ...

    def run_is_live(self, run_id: int) -> bool:
        """Whether a process drives the run now (its lock is held)."""
        ...


@dataclass
class RunContext:
    #: config.toml of the studio (relative to the working directory).
    config_path: str = "config.toml"
    #: The studio's workspace folder; None = [workspace] path from the config.
    workspace: str | None = None
    #: Ready objects from an in-process caller; see ``load_studio`` when absent.
    studio: StudioServices | None = None
    store: Store | None = None
    #: Called with each progress event (``emit``), from the node's thread.
    progress: Callable[[dict[str, Any]], None] | None = None
    #: Set by the process to stop the run before its next node (the service's SIGTERM).
    stop: threading.Event | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _prompts: dict[str, PromptFile] = field(default_factory=dict, repr=False, compare=False)
    _budgets: dict[int, GoalBudget] = field(default_factory=dict, repr=False, compare=False)

    def load_studio(self) -> StudioServices:
        """The studio of ``config_path`` / ``workspace``, for callers that pass only those
        (LangGraph's server; ``atelier.served_graph`` provides it)."""
        raise WorkflowError(
            "this run context has no studio",
            hint="pass RunContext(studio=...), or serve the graph from atelier.served_graph",
        )

    def get_studio(self) -> StudioServices:
        with self._lock:
            if self.studio is None:
                self.studio = self.load_studio()
            return self.studio

    def get_store(self) -> Store:
        studio = self.get_studio()
        with self._lock:
            if self.store is None:
                self.store = studio.open_store()
            return self.store

    def budget_of_run(self, run_id: int) -> GoalBudget:
        """The token budget the run's model calls are held to (its goal's), kept per run."""
        from atelier.workflows.budget import GoalBudget

        with self._lock:
            cached = self._budgets.get(run_id)
        if cached is not None:
            return cached
        store = self.get_store()
        budget = GoalBudget(self.get_studio(), store, store.run(run_id).goal_id)
        with self._lock:
            return self._budgets.setdefault(run_id, budget)

    def agent(self, agent: str, prompt_hash: str, log: CallLog) -> AgentContext:
        """The agent with the prompt version governance approved (by content hash)."""
        return self.get_studio().agent_context(agent, self._prompt(agent, prompt_hash), log)

    def _prompt(self, agent: str, prompt_hash: str) -> PromptFile:
        """The prompt version by content hash; parsed once per process (versions never
        change: a new text is a new hash)."""
        with self._lock:
            cached = self._prompts.get(prompt_hash)
        if cached is not None:
            return cached
        store = self.get_studio().prompt_store
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


def emit(event: str, **fields: Any) -> None:
    """A progress event: to the run context's ``progress`` callback (the CLI shows them live)
    and on LangGraph's "custom" stream (LangGraph's server streams them to its clients)."""
    from langgraph.config import get_stream_writer
    from langgraph.runtime import get_runtime

    payload = {"event": event, **fields}
    try:
        writer = get_stream_writer()
    except RuntimeError:  # outside a graph run (a revised audit opened by a command)
        return
    writer(payload)
    context = get_runtime().context
    if isinstance(context, RunContext) and context.progress is not None:
        context.progress(payload)
