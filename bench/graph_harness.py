"""Machinery of the graph benchmark (``bench.graph``): node timing through LangChain
callbacks and the three graphs it compares, all from the one ``build_graph()``: ours through
the ``Runner``, the same graph compiled bare (no checkpointer, no runner), and an agents-only
graph of the same shape whose nodes only call the agents. The studio is the tests'
(``atelier.testing.studio``); the models are scripted casts registered as providers.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.types import Send
from typing_extensions import TypedDict

from atelier.agents.calls import CallRecord
from atelier.agents.designer import design_character
from atelier.agents.layout import lay_out_episode
from atelier.agents.prompt_file import PromptFile, load_prompt
from atelier.agents.scriptwriter import (
    BibleCharacter,
    Brief,
    EpisodeOutline,
    EpisodeScript,
    SeriesBible,
    write_bible,
    write_outline,
    write_panels,
)
from atelier.testing import lighthouse
from atelier.workflows.context import RunContext
from atelier.workflows.graph import NODES as PRODUCTION_NODES
from atelier.workflows.graph import build_graph
from atelier.workflows.routes import after_audit, after_publish, after_sync
from atelier.workflows.runner import Runner

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.studio import Studio


PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
NODES = tuple(PRODUCTION_NODES)
TITLE = lighthouse.TITLE

Calls = list[tuple[int | None, str, int]]  # (episode, agent, attempts) per agent call


# -- timing the nodes through LangChain callbacks ------------------------------------------------
class NodeTimer(BaseCallbackHandler):
    """Start and end of the graph run and of each node run directly under it."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float]] = []
        self._open: dict[UUID, tuple[str, float]] = {}
        self._graph: UUID | None = None
        self._lock = threading.Lock()

    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, *, run_id: UUID,
                       parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                       **kwargs: Any) -> None:
        now = time.perf_counter()
        name = kwargs.get("name")
        with self._lock:
            if parent_run_id is None and self._graph is None:
                self._graph = run_id
                self._open[run_id] = ("graph", now)
            elif parent_run_id == self._graph and name in NODES:
                self._open[run_id] = (str(name), now)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id)

    def _close(self, run_id: UUID) -> None:
        now = time.perf_counter()
        with self._lock:
            opened = self._open.pop(run_id, None)
            if opened is not None:
                self.spans.append((opened[0], opened[1], now))
            if run_id == self._graph:
                self._graph = None

    def _nodes(self) -> list[tuple[str, float, float]]:
        return sorted((s for s in self.spans if s[0] != "graph"), key=lambda s: s[1])

    def totals(self) -> dict[str, float]:
        """Seconds per node (summed over its runs; parallel branches add up) and the graph."""
        out: dict[str, float] = {}
        for name, start, end in self.spans:
            out[name] = out.get(name, 0.0) + end - start
        return out

    def busy(self) -> float:
        """Seconds in which at least one node ran (parallel branches counted once)."""
        total, reached = 0.0, float("-inf")
        for _, start, end in self._nodes():
            if end > reached:
                total += end - max(start, reached)
                reached = end
        return total

    def peak_parallel(self) -> int:
        """The most nodes that ran at once."""
        events = sorted([(start, 1) for _, start, _ in self._nodes()]
                        + [(end, -1) for _, _, end in self._nodes()])
        running = peak = 0
        for _, step in events:  # at a tie an end sorts before a start
            running += step
            peak = max(peak, running)
        return peak

    def critical_path(self) -> float:
        """The run's critical path as measured: every node in sequence adds its span; of a
        design step's parallel branches (between a script and its layout) the longest
        counts. Scheduling between nodes is not on it: that is what the graph adds."""
        total, branch = 0.0, 0.0
        for name, start, end in self._nodes():
            if name == "design_character":
                branch = max(branch, end - start)
            else:
                total += branch + end - start
                branch = 0.0
        return total + branch

    def design_step(self) -> float:
        """From the end of the last script to the start of its layout: the sheets' fan-out
        as the graph schedules it (supersteps and checkpoints included)."""
        script_end = max(end for name, _, end in self.spans if name == "write_script")
        layout_start = min(start for name, start, _ in self.spans
                           if name == "layout_pages" and start >= script_end)
        return layout_start - script_end

    def design_branch(self) -> float:
        """The longest design branch after the last script (the step's critical path)."""
        script_end = max(end for name, _, end in self.spans if name == "write_script")
        return max((end - start for name, start, end in self.spans
                    if name == "design_character" and start >= script_end), default=0.0)


# -- our graph through the Runner -----------------------------------------------------------------
@dataclasses.dataclass
class BenchRunner(Runner):
    """The production ``Runner``, optionally with LangGraph's in-memory checkpointer and with
    callbacks (node timing) in the run config."""

    memory_checkpointer: bool = False
    callbacks: list[Any] = dataclasses.field(default_factory=list)

    @contextmanager
    def _graph(self) -> Iterator[Any]:
        if not self.memory_checkpointer:
            with super()._graph() as graph:
                yield graph
            return
        from langgraph.checkpoint.memory import InMemorySaver

        yield build_graph().compile(checkpointer=InMemorySaver())

    def _config(self, run: Any) -> dict[str, Any]:
        config = super()._config(run)
        return {**config, "callbacks": self.callbacks} if self.callbacks else config


@dataclasses.dataclass(frozen=True)
class Measured:
    seconds: float
    calls: Calls
    timer: NodeTimer | None


def _calls(store: Store, run_id: int) -> Calls:
    return [(c.episode, c.agent, c.attempts) for c in store.calls(run_id)]


def run_ours(studio: Studio, store: Store, episodes: int, *,
             memory_checkpointer: bool = False, timed_nodes: bool = False) -> Measured:
    timer = NodeTimer() if timed_nodes else None
    runner = BenchRunner(studio, store, memory_checkpointer=memory_checkpointer,
                         callbacks=[timer] if timer else [])
    started = time.perf_counter()
    outcome = runner.start(goal_id=1, episodes=episodes)
    seconds = time.perf_counter() - started
    if outcome.status != "done":
        raise RuntimeError(f"the benchmark run ended {outcome.status}: {outcome.run.message}")
    return Measured(seconds, _calls(store, outcome.run.id), timer)


# -- the bare graph with our node functions: the same work without our orchestration ---------------
def run_same_nodes(studio: Studio, store: Store, episodes: int, *, max_concurrency: int,
                   audit_every: int, timed_nodes: bool = False) -> Measured:
    """One run of the production graph compiled bare (no checkpointer) and invoked directly,
    on a fresh run row (made before the clock starts: the row is our orchestration, but the
    nodes write to it). Timed: compiling and invoking."""
    timer = NodeTimer() if timed_nodes else None
    run = store.create_run(goal_id=1, goal_title=TITLE, episodes_planned=episodes,
                           audit_every=audit_every)
    context = RunContext(studio=studio, store=store)
    config: dict[str, Any] = {"max_concurrency": max_concurrency,
                              "recursion_limit": 20 * episodes + 50}
    if timer:
        config["callbacks"] = [timer]
    started = time.perf_counter()
    graph = build_graph().compile()
    values = graph.invoke({"run_id": run.id, "goal_id": 1, "episodes": episodes}, config,
                          context=context)
    seconds = time.perf_counter() - started
    if values.get("episode", 0) <= episodes or "__interrupt__" in values:
        raise RuntimeError(f"the bare run stopped early at episode {values.get('episode')}")
    return Measured(seconds, _calls(store, run.id), timer)


# -- the agents-only graph: same nodes and edges, the agent calls and nothing else ---------------
def keep_both(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class BareState(TypedDict, total=False):
    brief: Brief
    episodes: int
    audit_every: int
    episode: int
    bible: SeriesBible | None
    outline: EpisodeOutline | None
    script: EpisodeScript | None
    summaries: list[str]
    sheets: Annotated[dict[str, Any], keep_both]
    layout: Any


class BareDesign(TypedDict):
    episode: int
    bible: SeriesBible
    character: BibleCharacter
    appearances: list[str]


class _Log:
    """Collects (episode, agent, attempts) per agent call, like the run's call log."""

    def __init__(self, sink: Calls, episode: int | None) -> None:
        self._sink, self._episode = sink, episode

    def record(self, record: CallRecord) -> None:
        self._sink.append((self._episode, record.agent, record.attempts))


def agents_only_graph(studio: Studio, prompts: dict[str, PromptFile], calls: Calls) -> Any:
    """The production graph's nodes and edges with a state of its own, where only the
    agent nodes do work: the agent calls and nothing else (no chain, files, pages, store)."""

    def ctx(agent: str, episode: int | None) -> Any:
        return studio.agent_context(agent, prompts[agent], _Log(calls, episode))

    def sync_governance(state: BareState) -> dict[str, Any]:
        return {"episode": state.get("episode") or 1}

    def plan_series(state: BareState) -> dict[str, Any]:
        if state.get("bible"):
            return {}
        return {"bible": write_bible(ctx("scriptwriter", None), state["brief"])}

    def outline_episode(state: BareState) -> dict[str, Any]:
        number = state["episode"]
        bible = state["bible"]
        assert bible is not None
        outline = write_outline(ctx("scriptwriter", number), state["brief"], bible, number,
                                list(state.get("summaries") or []))
        return {"outline": outline}

    def write_script(state: BareState) -> dict[str, Any]:
        number = state["episode"]
        bible, outline = state["bible"], state["outline"]
        assert bible is not None and outline is not None
        script = write_panels(ctx("scriptwriter", number), state["brief"], bible, number,
                              list(state.get("summaries") or []), outline)
        return {"script": script}

    def route_designs(state: BareState) -> list[Send] | str:
        script, bible = state["script"], state["bible"]
        assert script is not None and bible is not None
        appearances: dict[str, list[str]] = {}
        for panel in script.panels:
            for character in panel.characters:
                appearances.setdefault(character, []).append(panel.action)
        sheets = state.get("sheets") or {}
        sends = [Send("design_character", {"episode": state["episode"], "bible": bible,
                                           "character": c, "appearances": appearances[c.id]})
                 for c in bible.characters if c.id in appearances and c.id not in sheets]
        return sends or "layout_pages"

    def design(task: BareDesign) -> dict[str, Any]:
        sheet = design_character(ctx("designer", task["episode"]), task["bible"],
                                 task["character"], task["appearances"])
        return {"sheets": {task["character"].id: sheet}}

    def layout_pages(state: BareState) -> dict[str, Any]:
        script = state["script"]
        assert script is not None
        return {"layout": lay_out_episode(ctx("layout", state["episode"]), script)}

    def nothing(state: BareState) -> dict[str, Any]:
        return {}

    def publish(state: BareState) -> dict[str, Any]:
        script = state["script"]
        assert script is not None
        number = state["episode"]
        return {"episode": number + 1, "script": None, "layout": None,
                "summaries": [*(state.get("summaries") or []),
                              f"Episode {number}: {script.summary}"]}

    # The same routers as ours (pure functions of the same keys), typed with this state.
    def sync_route(state: BareState) -> str:
        return after_sync(state)  # type: ignore[arg-type]

    def publish_route(state: BareState) -> str:
        return after_publish(state)  # type: ignore[arg-type]

    def audit_route(state: BareState) -> str:
        return after_audit(state)  # type: ignore[arg-type]

    return build_graph(
        nodes={"sync_governance": sync_governance, "plan_series": plan_series,
               "outline_episode": outline_episode, "curate": nothing,
               "write_script": write_script, "design_character": design,
               "layout_pages": layout_pages, "render": nothing, "review": nothing,
               "publish": publish, "audit_checkpoint": nothing},
        routers={"after_sync": sync_route, "route_designs": route_designs,
                 "after_publish": publish_route, "after_audit": audit_route},
        state_schema=BareState, context_schema=None, input_schema=None, output_schema=None,
    ).compile()


def run_agents_only(studio: Studio, prompts: dict[str, PromptFile], episodes: int, *,
                    audit_every: int, max_concurrency: int,
                    timed_nodes: bool = False) -> Measured:
    timer = NodeTimer() if timed_nodes else None
    calls: Calls = []
    started = time.perf_counter()
    graph = agents_only_graph(studio, prompts, calls)
    brief = Brief(title=TITLE, brief=lighthouse.BRIEF, episodes=episodes)
    config: dict[str, Any] = {"max_concurrency": max_concurrency,
                              "recursion_limit": 20 * episodes + 50}
    if timer:
        config["callbacks"] = [timer]
    graph.invoke({"brief": brief, "episodes": episodes, "audit_every": audit_every}, config)
    return Measured(time.perf_counter() - started, calls, timer)


def founding_prompts() -> dict[str, PromptFile]:
    return {agent: load_prompt(PROMPTS / f"{agent}.prompty")
            for agent in ("scriptwriter", "designer", "layout")}
