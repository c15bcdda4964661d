"""The production graph as LangGraph's server loads it, with the scripted cast as the default
model seam (the server builds the run context from plain values, so tests cannot hand it
objects). Everything else — governance, store, rendering — is the real thing."""

from __future__ import annotations

from dataclasses import dataclass, field

from atelier.workflows.context import AgentFactory, RunContext
from atelier.workflows.graph import build_graph
from bench.scripted_studio import scripted_agents


@dataclass
class ScriptedRunContext(RunContext):
    agents: AgentFactory | None = field(default_factory=scripted_agents)


_builder = build_graph()
_builder.context_schema = ScriptedRunContext
graph = _builder.compile()
