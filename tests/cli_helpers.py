"""Run the `atelier` command in-process (fast) or as a real subprocess (persistence)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from atelier.cli.main import app
from atelier.testing import studio as testing
from atelier.testing.studio import FAST_GOVERNANCE

__all__ = ["FAST_GOVERNANCE", "Result", "assert_refused", "atelier", "atelier_process",
           "snapshot", "write_config"]
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


# -- refusals: one clear line, and every file as it was (issue 20) ----------------------

def snapshot(folder: Path, *, rows: bool = False) -> dict[str, str]:
    """sha256 of every file under ``folder`` (config, prompts, chain, databases, assets).

    ``rows``: a SQLite file by its rows instead of its bytes, for commands that open a chain
    session to read and close it normally: the embedded chain's flush then rewrites the same
    rows, and SQLite's header counts the write transaction."""
    def digest(path: Path) -> str:
        if rows and path.suffix == ".sqlite3":
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
        return hashlib.sha256(path.read_bytes()).hexdigest()

    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))}


def assert_refused(result: Result, *words: str, code: int | None = None) -> None:
    """A refusal: exit code 1 or 2, an `error:` line (and at most a hint) naming ``words``,
    no traceback, nothing on stdout."""
    assert result.code in ((code,) if code else (1, 2)), (result.code, result.out, result.err)
    lines = result.err.strip().splitlines()
    assert lines and lines[0].startswith("error: "), result.err
    assert len(lines) <= 2 and all(line.startswith(("error: ", "hint: ")) for line in lines), \
        result.err
    assert "Traceback" not in result.err + result.out
    assert not result.out.strip(), result.out
    for word in words:
        assert word in result.err, (word, result.err)
