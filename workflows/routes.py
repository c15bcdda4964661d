"""Routers: pure functions of the state that pick the next node."""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END

from atelier.workflows.state import RunState


def after_sync(state: RunState) -> Literal["plan_series", "outline_episode"]:
    return "outline_episode" if state.get("bible") else "plan_series"


def after_publish(state: RunState) -> Literal["outline_episode", "audit_checkpoint", "__end__"]:
    finished = state["episode"] - 1
    if finished % max(state.get("audit_every") or 1, 1) == 0:
        return "audit_checkpoint"
    return END if state["episode"] > state["episodes"] else "outline_episode"


def after_audit(state: RunState) -> Literal["sync_governance", "__end__"]:
    return END if state["episode"] > state["episodes"] else "sync_governance"
