"""Run the `atelier` command in-process (fast) or as a real subprocess (persistence)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from atelier.cli.main import app
from atelier.testing.studio import FAST_GOVERNANCE, write_config

__all__ = ["FAST_GOVERNANCE", "Result", "atelier", "atelier_process", "write_config"]


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
