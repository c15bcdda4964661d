"""langgraph.json names a graph LangGraph's server can load and run with plain context."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from langgraph.graph.state import CompiledStateGraph

from atelier.workflows.context import RunContext

REPO = Path(__file__).resolve().parents[1]


def test_langgraph_json_points_at_the_compiled_production_graph() -> None:
    spec = json.loads((REPO / "langgraph.json").read_text())
    path, _, attribute = spec["graphs"]["studio"].partition(":")
    module_spec = importlib.util.spec_from_file_location("served_graph", REPO / path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    graph = getattr(module, attribute)
    assert isinstance(graph, CompiledStateGraph)
    assert {"sync_governance", "plan_series", "write_script", "design_character",
            "layout_pages", "render", "review", "publish", "audit_checkpoint"} <= set(graph.nodes)
    # The server passes context as plain values; RunContext builds the rest from them.
    context = RunContext(**{"config_path": "config.toml", "workspace": ".atelier"})
    assert context.studio is None and context.store is None
    assert graph.get_input_jsonschema()["required"] == ["run_id", "goal_id", "episodes"]


def test_clients_can_discover_the_served_context() -> None:
    """LangGraph's server shows each graph's context schema to its clients: the served graph's
    names the two values a client sends (it once failed to build: the context's other fields
    are in-process objects)."""
    from pydantic import TypeAdapter

    from atelier.served_graph import ServedRunContext, graph

    schema = graph.get_context_jsonschema()
    assert schema is not None and set(schema["properties"]) == {"config_path", "workspace"}
    context = TypeAdapter(ServedRunContext).validate_python(
        {"config_path": "studio/config.toml", "workspace": None})
    assert isinstance(context, ServedRunContext) and context.config_path == "studio/config.toml"
