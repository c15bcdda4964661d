"""Graph benchmark: what our production graph costs on top of the work it schedules.

- overhead: the same episode loop (4 episodes, one audit at the end) with a zero-latency
  scripted model, through our ``Runner`` (chain reads, store, SQLite checkpoints, JSON
  files, rendered pages, the audit proposal) and through a bare LangGraph ``StateGraph``
  with the same nine nodes, edges and routers that calls the same agent functions with the
  same scripted models and does nothing else; interleaved in one process; ratio ours / bare
  (target ≤ 1.5). A variant swaps our SQLite checkpointer for LangGraph's in-memory one, and
  one timed run of each graph (node spans from LangChain callbacks) says where time goes.
- fan-out: one episode whose four characters are all new, with a simulated 50 ms model;
  run wall time / critical-path time (each sequential model call 50 ms, the parallel sheets
  counted once; target ≤ 1.15 at the configured concurrency 4), the same for the stretch
  from script to layout (the model-bound part), and the design step alone / one model call;
  fan-out on (``[workflow] max_concurrency = 4``) and off (the lowest setting the Runner
  can run: see ``runner_pool``), with the bare graph beside it as LangGraph's own floor.

Pages are rendered for real when ``atelier.pictures`` has its renderer, else a stub node
stands in (the JSON says which). Everything runs offline on the embedded chain in a
temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from atelier.agents.calls import CallRecord
from atelier.agents.designer import design_character
from atelier.agents.layout import lay_out_episode
from atelier.agents.prompt_file import PromptFile, load_prompt
from atelier.agents.scriptwriter import (
    BibleCharacter,
    Brief,
    EpisodeScript,
    SeriesBible,
    write_bible,
    write_episode,
)
from atelier.workflows.context import AgentFactory, RunContext
from atelier.workflows.routes import after_audit, after_publish, after_sync
from atelier.workflows.runner import Runner
from atelier.workflows.state import RunState
from bench.scripted_studio import respond, scripted_agents

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.studio import Studio

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
EPISODES = 4
REPEATS = 5
LATENCY_S = 0.05
CONCURRENCY = 4
NODES = ("sync_governance", "plan_series", "write_script", "design_character", "layout_pages",
         "render", "review", "publish", "audit_checkpoint")
#: Nodes whose work the bare graph leaves out: the chain (sync, audit proposal) and pictures.
NOT_IN_BARE = ("sync_governance", "render", "audit_checkpoint")
FAST_GOVERNANCE = """
[governance]
voting_delay = "10s"
voting_period = "5m"
timelock_delay = "1m"
"""


# -- a governed studio (the in-process CLI, as the tests do it) ----------------------------------
def governed_studio(folder: Path, *, episodes: int, audit_every: int) -> Path:
    """config.toml of a studio whose goal 1 (``episodes``, ``audit_every``) is approved."""
    from typer.testing import CliRunner

    from atelier.cli.main import app

    def cli(*args: str) -> None:
        result = CliRunner().invoke(app, ["--config", str(config), *args],
                                    env={"COLUMNS": "200"}, catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"atelier {' '.join(args)}: {result.stdout}{result.stderr}")

    shutil.copytree(PROMPTS, folder / "prompts")
    config = folder / "config.toml"
    config.write_text(f'[workspace]\npath = ".atelier"\n{FAST_GOVERNANCE}', encoding="utf-8")
    cli("init")
    cli("goal", "propose", "--title", "The Lighthouse Keepers", "--brief",
        "Two keepers and a storm.", "--episodes", str(episodes), "--audit-every",
        str(audit_every))
    cli("chain", "advance", "11s")
    for member in ("alice", "bob", "carol"):
        cli("vote", "1", "for", "--as", member)
    cli("chain", "advance", "5m")
    cli("queue", "1")
    cli("chain", "advance", "1m")
    cli("execute", "1")
    return config


def with_concurrency(studio: Studio, max_concurrency: int) -> Studio:
    workflow = studio.config.workflow.model_copy(update={"max_concurrency": max_concurrency})
    return dataclasses.replace(studio, config=studio.config.model_copy(
        update={"workflow": workflow}))


# -- pictures: real when atelier.pictures has them, else a stub node ----------------------------
def render_available() -> bool:
    try:
        from atelier.pictures import render_episode, render_sheet  # noqa: F401
    except ImportError:
        return False
    return True


def render_stub(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    return {"findings": []}


@contextmanager
def pictures(real: bool) -> Iterator[str]:
    """The render node as built by ``build_graph``: real, or a stub that draws nothing."""
    import atelier.workflows.graph as graph_module

    if real:
        yield "real (atelier.pictures)"
        return
    original = graph_module.render
    graph_module.render = render_stub
    try:
        yield "stubbed: atelier.pictures.render_episode is not available"
    finally:
        graph_module.render = original


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

    def totals(self) -> dict[str, float]:
        """Seconds per node (summed over its runs; parallel branches add up) and the graph."""
        out: dict[str, float] = {}
        for name, start, end in self.spans:
            out[name] = out.get(name, 0.0) + end - start
        return out

    def busy(self) -> float:
        """Seconds in which at least one node ran (parallel branches counted once)."""
        spans = sorted((start, end) for name, start, end in self.spans if name != "graph")
        total, reached = 0.0, float("-inf")
        for start, end in spans:
            if end > reached:
                total += end - max(start, reached)
                reached = end
        return total

    def design_step(self) -> float:
        """From the end of the last script to the start of its layout: the sheets' fan-out
        as the graph schedules it (supersteps and checkpoints included)."""
        script_end = max(end for name, _, end in self.spans if name == "write_script")
        layout_start = min(start for name, start, _ in self.spans
                           if name == "layout_pages" and start >= script_end)
        return layout_start - script_end

    def agent_segment(self) -> float:
        """From the start of the last script to the end of its layout."""
        script_start = max(start for name, start, _ in self.spans if name == "write_script")
        layout_end = min(end for name, start, end in self.spans
                         if name == "layout_pages" and start >= script_start)
        return layout_end - script_start


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

        from atelier.workflows.graph import build_graph

        yield build_graph().compile(checkpointer=InMemorySaver())

    def _config(self, run: Any) -> dict[str, Any]:
        config = super()._config(run)
        return {**config, "callbacks": self.callbacks} if self.callbacks else config


@dataclasses.dataclass(frozen=True)
class Measured:
    seconds: float
    calls: list[tuple[int | None, str, int]]  # (episode, agent, attempts) per agent call
    timer: NodeTimer | None


def run_ours(studio: Studio, store: Store, agents: AgentFactory, episodes: int, *,
             memory_checkpointer: bool = False, timed_nodes: bool = False) -> Measured:
    timer = NodeTimer() if timed_nodes else None
    runner = BenchRunner(studio, store, agents=agents, memory_checkpointer=memory_checkpointer,
                         callbacks=[timer] if timer else [])
    started = time.perf_counter()
    outcome = runner.start(goal_id=1, episodes=episodes)
    seconds = time.perf_counter() - started
    if outcome.status != "done":
        raise RuntimeError(f"the benchmark run ended {outcome.status}: {outcome.run.message}")
    calls = [(c.episode, c.agent, c.attempts) for c in store.calls(outcome.run.id)]
    return Measured(seconds, calls, timer)


# -- the bare graph: same nodes and edges, the agents and nothing else --------------------------
def keep_both(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class BareState(TypedDict, total=False):
    brief: Brief
    episodes: int
    audit_every: int
    episode: int
    bible: SeriesBible | None
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

    def __init__(self, sink: list[tuple[int | None, str, int]], episode: int | None) -> None:
        self._sink, self._episode = sink, episode

    def record(self, record: CallRecord) -> None:
        self._sink.append((self._episode, record.agent, record.attempts))


def bare_graph(agents: AgentFactory, prompts: dict[str, PromptFile],
               calls: list[tuple[int | None, str, int]]) -> Any:
    """A plain StateGraph with our nine nodes and edges; only the agent nodes do work."""

    def ctx(agent: str, episode: int | None) -> Any:
        return agents(agent, prompts[agent], _Log(calls, episode))

    def sync_governance(state: BareState) -> dict[str, Any]:
        return {"episode": state.get("episode") or 1}

    def plan_series(state: BareState) -> dict[str, Any]:
        if state.get("bible"):
            return {}
        return {"bible": write_bible(ctx("scriptwriter", None), state["brief"])}

    def write_script(state: BareState) -> dict[str, Any]:
        number = state["episode"]
        bible = state["bible"]
        assert bible is not None
        script = write_episode(ctx("scriptwriter", number), state["brief"], bible, number,
                               list(state.get("summaries") or []))
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

    builder = StateGraph(BareState)
    builder.add_node("sync_governance", sync_governance)
    builder.add_node("plan_series", plan_series)
    builder.add_node("write_script", write_script)
    builder.add_node("design_character", design)
    builder.add_node("layout_pages", layout_pages)
    builder.add_node("render", nothing)
    builder.add_node("review", nothing)
    builder.add_node("publish", publish)
    builder.add_node("audit_checkpoint", nothing)
    builder.add_edge(START, "sync_governance")
    builder.add_conditional_edges("sync_governance", sync_route, ["plan_series", "write_script"])
    builder.add_edge("plan_series", "write_script")
    builder.add_conditional_edges("write_script", route_designs,
                                  ["design_character", "layout_pages"])
    builder.add_edge("design_character", "layout_pages")
    builder.add_edge("layout_pages", "render")
    builder.add_edge("render", "review")
    builder.add_edge("review", "publish")
    builder.add_conditional_edges("publish", publish_route,
                                  ["write_script", "audit_checkpoint", "__end__"])
    builder.add_conditional_edges("audit_checkpoint", audit_route, ["sync_governance", "__end__"])
    return builder.compile()


def run_bare(agents: AgentFactory, prompts: dict[str, PromptFile], episodes: int, *,
             audit_every: int, max_concurrency: int, timed_nodes: bool = False) -> Measured:
    timer = NodeTimer() if timed_nodes else None
    calls: list[tuple[int | None, str, int]] = []
    started = time.perf_counter()
    graph = bare_graph(agents, prompts, calls)
    brief = Brief(title="The Lighthouse Keepers", brief="Two keepers and a storm.",
                  episodes=episodes)
    config: dict[str, Any] = {"max_concurrency": max_concurrency,
                              "recursion_limit": 20 * episodes + 50}
    if timer:
        config["callbacks"] = [timer]
    graph.invoke({"brief": brief, "episodes": episodes, "audit_every": audit_every}, config)
    return Measured(time.perf_counter() - started, calls, timer)


def founding_prompts() -> dict[str, PromptFile]:
    return {agent: load_prompt(PROMPTS / f"{agent}.prompty")
            for agent in ("scriptwriter", "designer", "layout")}


# -- a cast where every character is new in episode 1 --------------------------------------------
def cast_answer(size: int) -> Callable[[list[BaseMessage]], str]:
    """A scripted cast of ``size`` (≤ 4) characters, all in episode 1's first scene."""
    names = ["Mara", "Tom", "Gull", "Ines"][:size]
    ids = [n.lower() for n in names]
    bible = {"title": "The Lighthouse Keepers", "logline": "Keepers guard a light.",
             "tone": "mystery", "world": "A rocky island with a lighthouse.",
             "characters": [{"id": i, "name": n, "role": "supporting", "look": f"{n}'s look.",
                             "personality": "Curious."} for i, n in zip(ids, names, strict=True)],
             "arc": "The storm is a messenger."}

    def answer(messages: list[BaseMessage]) -> str:
        text = "\n".join(str(m.content) for m in messages)
        if "Create the series bible." in text:
            return json.dumps(bible)
        if match := re.search(r"Outline episode (\d+)", text):
            return json.dumps({"title": f"Storm {match.group(1)}", "summary": "A storm hits.",
                               "scenes": [{"setting": "The lamp room", "characters": ids,
                                           "beat": "Everyone meets."},
                                          {"setting": "The rocks", "characters": ids[:1],
                                           "beat": "A green light."}]})
        if match := re.search(r'\(id "([a-z_]+)"\)', text):
            cid = match.group(1)
            return json.dumps({
                "character_id": cid, "name": names[ids.index(cid)], "appearance": "Tall.",
                "silhouette": "Narrow.", "costume": "A raincoat.",
                "palette": {"skin": "#E8B894", "hair": "#5A3825", "outfit": "#F2C230",
                            "accent": "#2B6CB0"},
                "expressions": ["neutral", "happy"]})
        return respond(messages)  # scene panels and layout: the shared scripted cast

    return answer


# -- the measures --------------------------------------------------------------------------------
def critical_path_calls(calls: list[tuple[int | None, str, int]]) -> int:
    """Model calls on the critical path: every call in sequence, except the character sheets
    of one episode, which run in parallel (the longest counts)."""
    sequential = sum(attempts for _, agent, attempts in calls if agent != "designer")
    longest: dict[int | None, int] = {}
    for episode, agent, attempts in calls:
        if agent == "designer":
            longest[episode] = max(longest.get(episode, 0), attempts)
    return sequential + sum(longest.values())


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples), 4)


def overhead(studio: Studio, store: Store, *, episodes: int, repeats: int) -> dict[str, Any]:
    agents = scripted_agents(0.0)
    prompts = founding_prompts()
    concurrency = studio.config.workflow.max_concurrency
    audit_every = episodes
    samples: dict[str, list[float]] = {"bare": [], "ours": [], "ours_memory_checkpointer": []}
    # One untimed round first: imports, the chain's caches, SQLite files.
    run_bare(agents, prompts, episodes, audit_every=audit_every, max_concurrency=concurrency)
    run_ours(studio, store, agents, episodes)
    for _ in range(repeats):
        samples["bare"].append(run_bare(agents, prompts, episodes, audit_every=audit_every,
                                        max_concurrency=concurrency).seconds)
        samples["ours"].append(run_ours(studio, store, agents, episodes).seconds)
        samples["ours_memory_checkpointer"].append(
            run_ours(studio, store, agents, episodes, memory_checkpointer=True).seconds)
    medians = {name: _median(values) for name, values in samples.items()}
    # Where the time goes: one more run of each with node timing (callbacks cost a little).
    ours = run_ours(studio, store, agents, episodes, timed_nodes=True)
    bare = run_bare(agents, prompts, episodes, audit_every=audit_every,
                    max_concurrency=concurrency, timed_nodes=True)
    assert ours.timer is not None and bare.timer is not None
    ours_nodes, bare_nodes = ours.timer.totals(), bare.timer.totals()
    breakdown = {
        "ours": _breakdown(ours.seconds, ours_nodes, ours.timer.busy()),
        "bare": _breakdown(bare.seconds, bare_nodes, bare.timer.busy()),
    }
    # Ours without what the bare graph leaves out (chain reads and writes, pages): its nodes
    # for those, and the runner's own chain read and bookkeeping outside the graph.
    left_out = sum(ours_nodes.get(n, 0.0) for n in NOT_IN_BARE)
    left_out += breakdown["ours"]["outside_graph"]
    return {
        "episodes": episodes, "audit_every": audit_every, "repeats": repeats,
        "latency_s": 0.0, "max_concurrency": concurrency, "model_calls": len(ours.calls),
        "median_s": medians,
        "ratio": round(medians["ours"] / medians["bare"], 3),
        "ratio_memory_checkpointer": round(
            medians["ours_memory_checkpointer"] / medians["bare"], 3),
        "checkpointer_s": round(medians["ours"] - medians["ours_memory_checkpointer"], 4),
        "ratio_without_chain_and_pictures": round(
            (ours.seconds - left_out) / bare.seconds, 3),
        "samples_s": {name: [round(v, 4) for v in values] for name, values in samples.items()},
        "breakdown_s": breakdown,
    }


def _breakdown(total: float, nodes: dict[str, float], busy: float) -> dict[str, float]:
    graph = nodes.get("graph", 0.0)
    out = {"total": round(total, 4), "graph": round(graph, 4),
           "outside_graph": round(total - graph, 4)}
    out.update({name: round(nodes.get(name, 0.0), 4) for name in NODES})
    # In the graph while no node runs: LangGraph's scheduling, channel writes, checkpoints.
    out["between_nodes"] = round(graph - busy, 4)
    return out


def runner_pool(studio: Studio, store: Store) -> int:
    """The ``max_concurrency`` the Runner hands LangGraph at this studio's setting.

    LangGraph (1.2) runs a sync graph's tasks in a thread pool of that many threads, and
    when it streams "custom" events (as the Runner does) a waiter for the stream takes one
    of them until the next event: nodes get one thread fewer at times, and none at all with
    a pool of one, where the run hangs before its first node.
    """
    from types import SimpleNamespace

    config = Runner(studio, store)._config(
        SimpleNamespace(thread_id="probe", episodes_planned=1))  # type: ignore[arg-type]
    return int(config["max_concurrency"])


def fanout(studio: Studio, store: Store, *, characters: int, latency_s: float, repeats: int,
           concurrency: int, audit_every: int) -> dict[str, Any]:
    agents = scripted_agents(latency_s, answer=cast_answer(characters))
    prompts = founding_prompts()
    # Ours at the configured concurrency and at the lowest setting that runs (fan-out off,
    # or as near as the Runner allows); bare LangGraph (no custom stream, so no waiter)
    # at the configured concurrency and at 1.
    pools = {setting: runner_pool(with_concurrency(studio, setting), store)
             for setting in range(1, concurrency + 1)}
    hangs = [setting for setting, pool in pools.items() if pool < 2]
    off = min(setting for setting, pool in pools.items() if pool >= 2)
    modes = [("ours", concurrency), ("ours", off), ("bare", concurrency), ("bare", 1)]
    studios = {s: with_concurrency(studio, s) for graph, s in modes if graph == "ours"}
    runs: dict[tuple[str, int], list[Measured]] = {mode: [] for mode in modes}
    for _ in range(repeats):
        for graph, setting in modes:
            if graph == "ours":
                measured = run_ours(studios[setting], store, agents, 1, timed_nodes=True)
            else:
                measured = run_bare(agents, prompts, 1, audit_every=audit_every,
                                    max_concurrency=setting, timed_nodes=True)
            runs[(graph, setting)].append(measured)
    rows = []
    for graph, setting in modes:
        measured = runs[(graph, setting)]
        calls = measured[0].calls
        designs = [a for _, agent, a in calls if agent == "designer"]
        critical = critical_path_calls(calls) * latency_s
        wall = _median([m.seconds for m in measured])
        design_step = _median([m.timer.design_step() for m in measured if m.timer])
        segment = _median([m.timer.agent_segment() for m in measured if m.timer])
        segment_calls = critical_path_calls([c for c in calls if c[0] is not None])
        rows.append({
            "graph": graph, "max_concurrency": setting,
            "pool_threads": pools[setting] if graph == "ours" else setting,
            "stream_waiter_in_pool": graph == "ours",
            "characters_designed": len(designs),
            "model_calls": len(calls), "critical_path_calls": critical_path_calls(calls),
            "wall_s": wall, "critical_path_s": round(critical, 4),
            "ratio": round(wall / critical, 3),
            "agent_segment_s": segment,
            "agent_segment_critical_s": round(segment_calls * latency_s, 4),
            "agent_segment_ratio": round(segment / (segment_calls * latency_s), 3),
            "design_step_s": design_step,
            "design_step_critical_s": round(max(designs) * latency_s, 4),
            "design_step_ratio": round(design_step / (max(designs) * latency_s), 3),
        })
    return {"characters": characters, "latency_s": latency_s, "repeats": repeats,
            "runner_pool_by_setting": pools, "settings_that_hang": hangs, "modes": rows}


def run(*, episodes: int = EPISODES, repeats: int = REPEATS, latency_s: float = LATENCY_S,
        characters: int = 4, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    from atelier.store.database import Store, database_url
    from atelier.studio import Studio

    real_pictures = render_available()
    with tempfile.TemporaryDirectory(prefix="atelier-bench-graph-") as tmp, \
            pictures(real_pictures) as render_note:
        config = governed_studio(Path(tmp), episodes=episodes, audit_every=episodes)
        studio = with_concurrency(Studio.load(config), concurrency)
        store = Store.open(database_url(studio.config, studio.workspace))
        try:
            result = {
                "name": "graph", "render": render_note,
                "overhead": overhead(studio, store, episodes=episodes, repeats=repeats),
                "fanout": fanout(studio, store, characters=characters, latency_s=latency_s,
                                 repeats=repeats, concurrency=concurrency, audit_every=episodes),
            }
        finally:
            store.close()
    return result


def table(result: dict[str, Any]) -> list[list[str]]:
    o = result["overhead"]
    m = o["median_s"]
    rows = [["measure", "value", "target"],
            [f"overhead: ours / bare LangGraph ({o['episodes']} episodes, 0 ms model, "
             f"median of {o['repeats']})", f"{o['ratio']:.2f}", "≤ 1.5"],
            ["  ours (Runner: chain, store, SQLite checkpoints, files, pages, audit)",
             f"{m['ours']:.3f} s", ""],
            ["  bare (same 9 nodes and agents, nothing else)", f"{m['bare']:.3f} s", ""],
            ["  ours with an in-memory checkpointer / bare",
             f"{o['ratio_memory_checkpointer']:.2f}", ""],
            ["  ours without chain and pictures / bare (one timed run)",
             f"{o['ratio_without_chain_and_pictures']:.2f}", ""]]
    ours, bare = o["breakdown_s"]["ours"], o["breakdown_s"]["bare"]
    for name in ("outside_graph", *NODES, "between_nodes"):
        rows.append([f"  time in {name}: ours / bare",
                     f"{ours[name]:.3f} / {bare[name]:.3f} s", ""])
    f = result["fanout"]
    for mode in f["modes"]:
        waiter = ", 1 shared with the stream waiter" if mode["stream_waiter_in_pool"] else ""
        configured = mode["max_concurrency"] == result["overhead"]["max_concurrency"]
        fan = "on" if configured else "off" if mode["max_concurrency"] == 1 else (
            "off (the lowest setting that runs)")
        label = (f"fan-out {fan}: {mode['graph']}, max_concurrency {mode['max_concurrency']} "
                 f"({mode['pool_threads']} thread{'s' * (mode['pool_threads'] != 1)}{waiter}), "
                 f"{f['latency_s'] * 1000:.0f} ms model")
        target = "≤ 1.15" if configured and mode["graph"] == "ours" else ""
        rows.append([f"{label}: run wall / critical path",
                     f"{mode['ratio']:.2f} ({mode['wall_s']:.3f} / "
                     f"{mode['critical_path_s']:.3f} s)", target])
        rows.append(["  script→layout wall / its critical path",
                     f"{mode['agent_segment_ratio']:.2f}", ""])
        rows.append([f"  design step ({mode['characters_designed']} sheets) / one model call",
                     f"{mode['design_step_ratio']:.2f}", ""])
    if f["settings_that_hang"]:
        rows.append(["ours: max_concurrency settings that hang (the waiter holds the pool)",
                     ", ".join(map(str, f["settings_that_hang"])), "none"])
    rows.append(["pages", result["render"], ""])
    return rows
