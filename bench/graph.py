"""Graph benchmark: what our orchestration of the production graph costs, and how well the
character sheets fan out.

- overhead (target ≤ 1.5): the same episode loop (4 episodes, one audit, after the last, so
  nothing pauses) with a zero-latency scripted model, through our ``Runner`` (SQLite
  checkpointer with ``durability="sync"``, the "custom" progress events, the run's row, the
  chain read for the goal) and through a bare LangGraph ``StateGraph`` with the same nine
  nodes, edges and routers running **the same node functions** (``atelier.workflows.*``)
  with the same studio, store and scripted agents in a ``RunContext``, compiled without a
  checkpointer and invoked without streaming. Both do the same work (chain reads, agent
  calls, JSON files, rendered pages, store rows, the audit proposal); each timed repetition
  gets its own fresh run; repeats are interleaved in rounds. The graph overhead is the
  median over the rounds of ours / bare (a round's runs follow one another, so the ratio
  cancels the load a shared machine puts on both); the ratio of the medians and of the
  fastest runs are beside it. Breakdown: ours with LangGraph's in-memory checkpointer, and
  one timed run of each (node spans from LangChain callbacks) split into outside the graph,
  in the nodes and between nodes (scheduling, checkpoints, events).
- studio work on top of the agent calls (not the overhead target): ours / a bare graph of
  the same shape whose nodes only call the agent functions (no chain, files, pages, store,
  audit), with the time per node of all three: where the time goes.
- fan-out (target ≤ 1.15): one episode whose four characters are all new, with a simulated
  50 ms model; run wall time / the run's critical path measured from its node spans
  (sequential nodes add, the design step counts its longest branch), fan-out on
  (``[workflow] max_concurrency = 4``) and off (1); the design step's wall time on and
  off (the fan-out gain) and per model call, and the most nodes that ran at once (fan-out
  off means 1). The bare graph (same nodes; and agents only) beside it is the floor.

Pages are rendered for real. The scripted casts are model providers registered in this
process and selected in the studio's config, as the tests do. Everything runs offline on the
embedded chain in a temporary folder.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.testing.cast import cast_answer
from atelier.testing.models import scripted_provider
from atelier.testing.studio import governed_studio, with_concurrency, with_provider
from bench.graph_harness import (
    NODES,
    Calls,
    Measured,
    founding_prompts,
    run_agents_only,
    run_ours,
    run_same_nodes,
)

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.studio import Studio

EPISODES = 4
REPEATS = 7
LATENCY_S = 0.05
CONCURRENCY = 4
#: Nodes whose work the agents-only graph leaves out: the chain (sync, audit) and pictures.
NOT_IN_AGENTS_ONLY = ("sync_governance", "render", "audit_checkpoint")


# -- the measures --------------------------------------------------------------------------------
def critical_path_calls(calls: Calls) -> int:
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
    """``studio``'s models answer at once (a zero-latency scripted cast)."""
    prompts = founding_prompts()
    concurrency = studio.config.workflow.max_concurrency
    audit_every = episodes  # one audit, after the last episode: it does not interrupt
    runs: dict[str, Callable[..., Measured]] = {
        "ours": lambda **kw: run_ours(studio, store, episodes, **kw),
        "bare": lambda **kw: run_same_nodes(
            studio, store, episodes, max_concurrency=concurrency, audit_every=audit_every,
            **kw),
        "ours_memory_checkpointer": lambda **kw: run_ours(
            studio, store, episodes, memory_checkpointer=True, **kw),
        "agents_only": lambda **kw: run_agents_only(
            studio, prompts, episodes, audit_every=audit_every, max_concurrency=concurrency,
            **kw),
    }
    # One untimed round first: imports, the chain's caches, SQLite files.
    for measure in runs.values():
        measure()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for repeat in range(repeats):  # interleaved, the order flipped every other round
        for name in order if repeat % 2 == 0 else reversed(order):
            samples[name].append(runs[name]().seconds)
    medians = {name: _median(values) for name, values in samples.items()}
    # Each round's runs follow one another, so their ratio cancels the drift and load that
    # a shared machine adds to both (renders slow down for a while, then recover).
    paired = {name: _median([a / b for a, b in zip(samples[name], samples["bare"],
                                                    strict=True)])
              for name in ("ours", "ours_memory_checkpointer")}
    # Where the time goes: one more run of each with node timing (callbacks cost a little).
    timed = {name: runs[name](timed_nodes=True) for name in ("ours", "bare", "agents_only")}
    nodes = {name: m.timer.totals() for name, m in timed.items() if m.timer}
    breakdown = {name: _breakdown(m.seconds, nodes[name], m.timer.busy())
                 for name, m in timed.items() if m.timer}
    ours, bare = breakdown["ours"], breakdown["bare"]
    in_nodes = {name: round(sum(b[n] for n in NODES), 4) for name, b in breakdown.items()}
    # The agents-only graph leaves out the chain (sync, audit), the pictures, and what the
    # runner does outside the graph.
    left_out = sum(nodes["ours"].get(n, 0.0) for n in NOT_IN_AGENTS_ONLY) + ours["outside_graph"]
    return {
        "episodes": episodes, "audit_every": audit_every, "repeats": repeats,
        "latency_s": 0.0, "max_concurrency": concurrency,
        "model_calls": len(timed["ours"].calls),
        "median_s": medians,
        # the headline: median over the rounds of ours / bare in the same round
        "ratio": round(paired["ours"], 3),
        "ratio_of_medians": round(medians["ours"] / medians["bare"], 3),
        "ratio_of_minimums": round(min(samples["ours"]) / min(samples["bare"]), 3),
        "ratio_memory_checkpointer": round(paired["ours_memory_checkpointer"], 3),
        "overhead_s": round(medians["ours"] - medians["bare"], 4),
        "checkpointer_s": round(medians["ours"] - medians["ours_memory_checkpointer"], 4),
        # One timed run each: the difference ours - bare, where it is spent.
        "overhead_split_s": {
            "outside_graph": round(ours["outside_graph"] - bare["outside_graph"], 4),
            "between_nodes": round(ours["between_nodes"] - bare["between_nodes"], 4),
            "in_nodes": round(in_nodes["ours"] - in_nodes["bare"], 4),
        },
        "studio_work": {
            "ratio": round(medians["ours"] / medians["agents_only"], 3),
            "bare_ratio": round(medians["bare"] / medians["agents_only"], 3),
            "ratio_without_chain_and_pictures": round(
                (timed["ours"].seconds - left_out) / timed["agents_only"].seconds, 3),
        },
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


def fanout(studio: Studio, store: Store, *, characters: int, latency_s: float, repeats: int,
           concurrency: int, audit_every: int) -> dict[str, Any]:
    """``studio``'s models are a cast of ``characters`` new characters answering after
    ``latency_s``."""
    prompts = founding_prompts()
    off = 1
    # Ours on and off; the bare graph with our nodes on and off; the agents-only graph on
    # (the model calls alone: LangGraph's floor).
    modes = [("ours", concurrency), ("ours", off), ("bare", concurrency), ("bare", 1),
             ("agents_only", concurrency)]
    studios = {s: with_concurrency(studio, s) for graph, s in modes if graph == "ours"}

    def measure(graph: str, setting: int) -> Measured:
        if graph == "ours":
            return run_ours(studios[setting], store, 1, timed_nodes=True)
        if graph == "bare":
            return run_same_nodes(studio, store, 1, max_concurrency=setting,
                                  audit_every=audit_every, timed_nodes=True)
        return run_agents_only(studio, prompts, 1, audit_every=audit_every,
                               max_concurrency=setting, timed_nodes=True)

    measure("ours", concurrency)  # warm-up: this cast's prompts and pages
    runs: dict[tuple[str, int], list[Measured]] = {mode: [] for mode in modes}
    for repeat in range(repeats):
        for mode in modes if repeat % 2 == 0 else reversed(modes):
            runs[mode].append(measure(*mode))
    rows = []
    for graph, setting in modes:
        measured = runs[(graph, setting)]
        timers = [m.timer for m in measured if m.timer]
        calls = measured[0].calls
        designs = [a for _, agent, a in calls if agent == "designer"]
        model_path = critical_path_calls(calls) * latency_s
        wall = _median([m.seconds for m in measured])
        critical = _median([t.critical_path() for t in timers])
        design_step = _median([t.design_step() for t in timers])
        rows.append({
            "graph": graph, "max_concurrency": setting,
            "pool_threads": setting,
            "characters_designed": len(designs), "model_calls": len(calls),
            "wall_s": wall,
            "graph_s": _median([t.totals()["graph"] for t in timers]),
            "critical_path_s": critical,
            "busy_s": _median([t.busy() for t in timers]),
            "peak_parallel_nodes": max(t.peak_parallel() for t in timers),
            # median over the runs of each run's wall / its own critical path
            "ratio": _median([m.seconds / m.timer.critical_path()
                              for m in measured if m.timer]),
            "model_calls_on_path": critical_path_calls(calls),
            "model_path_s": round(model_path, 4),
            "design_step_s": design_step,
            "design_branch_s": _median([t.design_branch() for t in timers]),
            "design_step_per_call": round(design_step / latency_s, 3),
        })
    by_mode = {(r["graph"], r["max_concurrency"]): r for r in rows}

    def gain(graph: str, off_setting: int) -> float:
        return round(by_mode[(graph, off_setting)]["design_step_s"]
                     / by_mode[(graph, concurrency)]["design_step_s"], 3)

    return {"characters": characters, "latency_s": latency_s, "repeats": repeats,
            "max_concurrency": concurrency, "off_setting": off,
            "design_gain": {"ours": gain("ours", off), "bare": gain("bare", 1)},
            "modes": rows}


def run(*, episodes: int = EPISODES, repeats: int = REPEATS, latency_s: float = LATENCY_S,
        characters: int = 4, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    from atelier.studio import Studio

    with tempfile.TemporaryDirectory(prefix="atelier-bench-graph-") as tmp, \
            scripted_provider("bench-0ms") as instant, \
            scripted_provider("bench-cast", cast_answer(characters), latency_s) as slow:
        config = governed_studio(Path(tmp), episodes=episodes, audit_every=episodes)
        studio = with_concurrency(Studio.load(config), concurrency)
        store = studio.open_store()
        try:
            result = {
                "name": "graph", "render": "real (atelier.pictures)",
                "overhead": overhead(with_provider(studio, instant), store, episodes=episodes,
                                     repeats=repeats),
                "fanout": fanout(with_provider(studio, slow), store, characters=characters,
                                 latency_s=latency_s, repeats=repeats, concurrency=concurrency,
                                 audit_every=episodes),
            }
        finally:
            store.close()
    return result


def table(result: dict[str, Any]) -> list[list[str]]:
    o = result["overhead"]
    m = o["median_s"]
    split = o["overhead_split_s"]
    rows = [["measure", "value", "target"],
            [f"graph overhead: ours / bare LangGraph, same nodes and work ({o['episodes']} "
             f"episodes, 0 ms model, median of {o['repeats']} interleaved rounds' ratios)",
             f"{o['ratio']:.2f}", "≤ 1.5"],
            ["  ours: Runner (SQLite checkpoints, durability sync, progress events, run rows)",
             f"{m['ours']:.3f} s", ""],
            ["  bare: StateGraph of our node functions, no checkpointer, invoke",
             f"{m['bare']:.3f} s", ""],
            ["  ratio of the medians; of the fastest runs",
             f"{o['ratio_of_medians']:.2f}; {o['ratio_of_minimums']:.2f}", ""],
            ["  ours with LangGraph's in-memory checkpointer / bare",
             f"{o['ratio_memory_checkpointer']:.2f}", ""],
            ["  ours - bare, of it the SQLite checkpointer (vs in-memory)",
             f"{o['overhead_s']:+.3f} s, {o['checkpointer_s']:+.3f} s", ""],
            ["  ours - bare (one timed run): outside graph / between nodes / in nodes",
             f"{split['outside_graph']:+.3f} / {split['between_nodes']:+.3f} / "
             f"{split['in_nodes']:+.3f} s", ""]]
    s = o["studio_work"]
    rows += [["studio work on top of the agent calls (not the overhead target): ours / "
              "agents-only graph", f"{s['ratio']:.2f}", ""],
             ["  bare (our nodes, no orchestration) / agents-only", f"{s['bare_ratio']:.2f}", ""],
             ["  ours without chain and pictures / agents-only (one timed run)",
              f"{s['ratio_without_chain_and_pictures']:.2f}", ""],
             ["  agents-only: same 9 nodes, only the agent calls", f"{m['agents_only']:.3f} s",
              ""]]
    b = o["breakdown_s"]
    for name in ("outside_graph", *NODES, "between_nodes"):
        rows.append([f"  time in {name}: ours / bare / agents-only",
                     f"{b['ours'][name]:.3f} / {b['bare'][name]:.3f} / "
                     f"{b['agents_only'][name]:.3f} s", ""])
    f = result["fanout"]
    for mode in f["modes"]:
        on = mode["max_concurrency"] == f["max_concurrency"]
        fan = "on" if on else "off"
        graph = {"ours": "ours", "bare": "bare (our nodes)",
                 "agents_only": "agents-only"}[mode["graph"]]
        label = (f"fan-out {fan}: {graph}, max_concurrency {mode['max_concurrency']} "
                 f"({mode['pool_threads']} thread{'s' * (mode['pool_threads'] != 1)}), "
                 f"{f['latency_s'] * 1000:.0f} ms model")
        target = "≤ 1.15" if on and mode["graph"] == "ours" else ""
        rows.append([f"{label}: run wall / measured critical path",
                     f"{mode['ratio']:.2f} ({mode['wall_s']:.3f} / "
                     f"{mode['critical_path_s']:.3f} s)", target])
        rows.append(["  in the graph (without the runner's work around it); most nodes at once",
                     f"{mode['graph_s']:.3f} s; {mode['peak_parallel_nodes']}", ""])
        rows.append([f"  design step ({mode['characters_designed']} sheets): wall, longest "
                     "branch; / one model call",
                     f"{mode['design_step_s']:.3f} s, {mode['design_branch_s']:.3f} s; "
                     f"{mode['design_step_per_call']:.2f}", ""])
    rows.append(["fan-out gain: design step off / on (ours, bare)",
                 f"{f['design_gain']['ours']:.2f}, {f['design_gain']['bare']:.2f}", ""])
    rows.append(["pages", result["render"], ""])
    return rows
