"""The production graph: wiring only (the nodes live in their own modules).

    START → sync_governance → plan_series → outline_episode → curate → write_script
    ⇉ design_character (one branch per new or changed character) → layout_pages → render
    → review → publish → outline_episode (next episode) | audit_checkpoint (every K) | END
    audit_checkpoint → sync_governance (after the members' decision) | END (after the last)

``build_graph()`` is the one place this wiring is written. The Runner compiles it with its
checkpointer; ``atelier.served_graph`` compiles it for LangGraph's server; the graph
benchmark swaps nodes, routers or the state type to compare the same shape doing less.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from atelier.workflows.audit import audit_checkpoint
from atelier.workflows.context import RunContext, RunStopped
from atelier.workflows.curation import curate, outline_episode
from atelier.workflows.production import (
    design_character,
    layout_pages,
    plan_series,
    route_designs,
    write_script,
)
from atelier.workflows.publishing import publish, render, review
from atelier.workflows.routes import after_audit, after_publish, after_sync
from atelier.workflows.state import RunInput, RunOutput, RunState
from atelier.workflows.sync import sync_governance

#: The nodes, in production order.
NODES: dict[str, Callable[..., dict[str, Any]]] = {
    "sync_governance": sync_governance,
    "plan_series": plan_series,
    "outline_episode": outline_episode,
    "curate": curate,
    "write_script": write_script,
    "design_character": design_character,
    "layout_pages": layout_pages,
    "render": render,
    "review": review,
    "publish": publish,
    "audit_checkpoint": audit_checkpoint,
}
ROUTERS: dict[str, Callable[..., Any]] = {
    "after_sync": after_sync,
    "route_designs": route_designs,
    "after_publish": after_publish,
    "after_audit": after_audit,
}


def build_graph(
    *,
    nodes: Mapping[str, Callable[..., dict[str, Any]]] | None = None,
    routers: Mapping[str, Callable[..., Any]] | None = None,
    state_schema: type[Any] = RunState,
    context_schema: type[Any] | None = RunContext,
    input_schema: type[Any] | None = RunInput,
    output_schema: type[Any] | None = RunOutput,
) -> StateGraph[Any, Any, Any, Any]:
    """The production graph, uncompiled. ``nodes`` and ``routers`` replace the production
    ones by name (keys of ``NODES`` / ``ROUTERS``); the edges stay as drawn above."""
    unknown = set(nodes or {}) - set(NODES) | set(routers or {}) - set(ROUTERS)
    if unknown:
        raise ValueError(f"build_graph: no node or router {', '.join(sorted(unknown))}")
    node = {**NODES, **(nodes or {})}
    route = {**ROUTERS, **(routers or {})}
    builder = StateGraph(state_schema, context_schema=context_schema,
                         input_schema=input_schema, output_schema=output_schema)
    for name, function in node.items():
        builder.add_node(name, _stoppable(function))

    builder.add_edge(START, "sync_governance")
    builder.add_conditional_edges("sync_governance", route["after_sync"],
                                  ["plan_series", "outline_episode"])
    builder.add_edge("plan_series", "outline_episode")
    builder.add_edge("outline_episode", "curate")
    builder.add_edge("curate", "write_script")
    builder.add_conditional_edges("write_script", route["route_designs"],
                                  ["design_character", "layout_pages"])
    builder.add_edge("design_character", "layout_pages")
    builder.add_edge("layout_pages", "render")
    builder.add_edge("render", "review")
    builder.add_edge("review", "publish")
    builder.add_conditional_edges("publish", route["after_publish"],
                                  ["outline_episode", "audit_checkpoint", END])
    builder.add_conditional_edges("audit_checkpoint", route["after_audit"],
                                  ["sync_governance", END])
    return builder


def _stoppable(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``function`` as a node that first checks whether its process asked the run to stop:
    a node that started finishes; the next one stops the run with its checkpoint saved."""
    takes_runtime = "runtime" in inspect.signature(function).parameters

    def node(state: Any, runtime: Runtime[Any]) -> dict[str, Any]:
        context = runtime.context
        if isinstance(context, RunContext) and context.stop is not None and context.stop.is_set():
            raise RunStopped("the run was stopped between two nodes (the service is shutting "
                             "down)", hint="it continues from there: `atelier run resume RUN`, "
                             "or when `atelier serve` starts again")
        return function(state, runtime) if takes_runtime else function(state)

    node.__name__ = node.__qualname__ = getattr(function, "__name__", "node")
    return node
