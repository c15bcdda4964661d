"""The production graph as LangGraph's server runs it (``langgraph.json`` names ``graph``).

A client can only send plain values, so a run's context names ``config_path`` (config.toml)
and ``workspace``, and the studio is built from them on first use and kept for the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atelier.workflows.context import RunContext, StudioServices
from atelier.workflows.graph import build_graph


@dataclass
class ServedRunContext(RunContext):
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """What a client may send (and what LangGraph's server shows as the context's JSON
        schema): the two plain values; the in-process fields are not a client's to set."""
        from pydantic_core import core_schema

        fields = core_schema.typed_dict_schema({
            "config_path": core_schema.typed_dict_field(
                core_schema.str_schema(), required=False),
            "workspace": core_schema.typed_dict_field(
                core_schema.nullable_schema(core_schema.str_schema()), required=False),
        })
        from_json = core_schema.no_info_after_validator_function(lambda d: cls(**d), fields)
        return core_schema.json_or_python_schema(
            json_schema=from_json,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_json]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda c: {"config_path": c.config_path, "workspace": c.workspace}))

    def load_studio(self) -> StudioServices:
        from atelier.studio import Studio

        workspace = Path(self.workspace) if self.workspace else None
        return Studio.load(Path(self.config_path), workspace)


graph = build_graph(context_schema=ServedRunContext).compile()
