"""Run the `atelier` command in-process (fast) or as a real subprocess (persistence)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from atelier.cli.main import app
from atelier.testing import studio as testing
from atelier.testing.studio import FAST_GOVERNANCE

__all__ = ["FAST_GOVERNANCE", "Result", "atelier", "atelier_process", "write_config"]
REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def write_config(folder: Path, extra: str = FAST_GOVERNANCE, *, prompts: bool = True) -> Path:
    """config.toml of a new studio in ``folder``, with a copy of the founding prompt files
    (``atelier init`` refuses to deploy without them) unless ``prompts`` is false or the
    folder has its own."""
    if prompts and not (folder / "prompts").exists():
        shutil.copytree(REPO_PROMPTS, folder / "prompts")
    return testing.write_config(folder, extra)


@dataclass
class Result:
    code: int
    out: str
    err: str


def atelier(config: Path, *args: str) -> Result:
    """In-process run through Typer's runner, output width pinned for stable assertions."""
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config), *args], env={"COLUMNS": "200"},
                           catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def atelier_process(config: Path, *args: str, timeout: float = 120) -> Result:
    """A separate OS process, as a user's shell would start it."""
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "atelier", "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)
