"""The production graph as LangGraph's server runs it (``langgraph.json`` names ``graph``).

A client can only send plain values, so a run's context names ``config_path`` (config.toml)
and ``workspace``, and the studio is built from them on first use and kept for the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from atelier.workflows.context import RunContext, StudioServices
from atelier.workflows.graph import build_graph


@dataclass
class ServedRunContext(RunContext):
    def load_studio(self) -> StudioServices:
        from atelier.studio import Studio

        workspace = Path(self.workspace) if self.workspace else None
        return Studio.load(Path(self.config_path), workspace)


graph = build_graph(context_schema=ServedRunContext).compile()
