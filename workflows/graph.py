"""The production graph: wiring only (the nodes live in their own modules).

    START → sync_governance → plan_series → write_script ⇉ design_character (one branch per
    new or changed character) → layout_pages → render → review → publish
    → write_script (next episode) | audit_checkpoint (every K episodes) | END
    audit_checkpoint → sync_governance (after the members' decision) | END (after the last)

``graph`` (no checkpointer) is what ``langgraph.json`` serves; the CLI compiles
``build_graph()`` with its own checkpointer.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from atelier.workflows.audit import audit_checkpoint
from atelier.workflows.context import RunContext
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


def build_graph() -> StateGraph[RunState, RunContext, RunInput, RunOutput]:
    builder = StateGraph(RunState, context_schema=RunContext, input_schema=RunInput,
                         output_schema=RunOutput)
    builder.add_node("sync_governance", sync_governance)
    builder.add_node("plan_series", plan_series)
    builder.add_node("write_script", write_script)
    builder.add_node("design_character", design_character)
    builder.add_node("layout_pages", layout_pages)
    builder.add_node("render", render)
    builder.add_node("review", review)
    builder.add_node("publish", publish)
    builder.add_node("audit_checkpoint", audit_checkpoint)

    builder.add_edge(START, "sync_governance")
    builder.add_conditional_edges("sync_governance", after_sync, ["plan_series", "write_script"])
    builder.add_edge("plan_series", "write_script")
    builder.add_conditional_edges("write_script", route_designs,
                                  ["design_character", "layout_pages"])
    builder.add_edge("design_character", "layout_pages")
    builder.add_edge("layout_pages", "render")
    builder.add_edge("render", "review")
    builder.add_edge("review", "publish")
    builder.add_conditional_edges("publish", after_publish,
                                  ["write_script", "audit_checkpoint", END])
    builder.add_conditional_edges("audit_checkpoint", after_audit, ["sync_governance", END])
    return builder


graph = build_graph().compile()
