"""What the global options give every command: where config and workspace are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from atelier.studio import Studio


@dataclass
class AppContext:
    config_path: Path
    workspace: Path | None

    def studio(self) -> Studio:
        from atelier.studio import Studio  # loads the pydantic config: not at `--help` time

        return Studio.load(self.config_path, self.workspace)


def studio_of(ctx: typer.Context) -> Studio:
    app_context: AppContext = ctx.find_root().obj
    return app_context.studio()
