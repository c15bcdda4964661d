"""One folder holds all state of one studio: chain data, deployment, keys, databases, assets."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from atelier.kernel.errors import WorkspaceError


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def chain_file(self) -> Path:
        return self.root / "chain.sqlite3"

    @property
    def deployment_file(self) -> Path:
        return self.root / "deployment.json"

    @property
    def proposal_index_file(self) -> Path:
        """The DAO's proposals decoded from the chain: a cache, rebuilt when it is stale."""
        return self.root / "proposals.sqlite3"

    @property
    def keystore_dir(self) -> Path:
        return self.root / "keystore"

    @property
    def prompt_store_dir(self) -> Path:
        """Every prompt version ever proposed or approved, by content hash."""
        return self.root / "prompts"

    @property
    def assets_dir(self) -> Path:
        return self.root / "assets"

    @property
    def database_file(self) -> Path:
        """Runs, episodes, assets, audits and the model-call log (SQLite default)."""
        return self.root / "studio.sqlite3"

    @property
    def checkpoints_file(self) -> Path:
        """LangGraph checkpoints of production runs (SQLite default)."""
        return self.root / "checkpoints.sqlite3"

    @property
    def run_locks_dir(self) -> Path:
        """One lock file a run, held by the process driving it (SQLite default)."""
        return self.root / "locks"

    @property
    def is_initialised(self) -> bool:
        return self.deployment_file.exists()

    def has_content(self) -> bool:
        return self.root.exists() and any(self.root.iterdir())

    def require_initialised(self) -> None:
        if not self.is_initialised:
            raise WorkspaceError(
                f"no studio in workspace {self.root}",
                hint="run `atelier init` to deploy a DAO there, or pass --workspace PATH",
            )

    def prepare_new(self, *, force: bool) -> Path | None:
        """Make a workspace folder for a new studio. One that already holds a studio is
        refused unless ``force``, and even then it is moved aside, never deleted; returns
        where it went. A folder without a studio (say, a chain file from `chain status`) is
        used as it is."""
        if (not self.is_initialised and not force) or not self.has_content():
            self.root.mkdir(parents=True, exist_ok=True)
            return None
        if not force:
            raise WorkspaceError(
                f"workspace {self.root} already holds a studio",
                hint="use it as it is, choose another with --workspace, or pass --force to "
                "move it aside and start over",
            )
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = self.root.with_name(f"{self.root.name}.bak-{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = self.root.with_name(f"{self.root.name}.bak-{stamp}-{n}")
        shutil.move(str(self.root), str(backup))
        self.root.mkdir(parents=True)
        return backup
