"""The demo's wall time: `atelier demo` as a new user starts it (`make demo`), in a fresh
temporary workspace, on the bundled model unless ``ATELIER_BENCH_CONFIG`` names a
config.toml (the demo then runs with its ``[models]``, like the agents benchmark).

Beside it, the seconds the demo's model calls took (from its own call log) and the load
average of the machine while it ran: on a shared machine the wall time is noisy, the
readability figures of ``bench agents`` are not (they are seeded). Target: under 5 minutes
on 2 cores. The pages a demo renders are deterministic for a given model and prompt files
(every prompt file fixes its seed).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 300.0


def _atelier() -> list[str]:
    script = Path(sys.executable).with_name("atelier")
    return [str(script)] if script.exists() else [sys.executable, "-m", "atelier"]


def run() -> dict[str, Any]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("ATELIER_CONFIG", None)
    argv = [*_atelier()]
    if config := os.environ.get("ATELIER_BENCH_CONFIG"):
        argv += ["--config", str(Path(config).resolve())]
    with tempfile.TemporaryDirectory(prefix="atelier-bench-demo-") as tmp:
        workspace = Path(tmp) / "studio"
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run([*argv, "demo", "--workspace", str(workspace)], env=env,
                              cwd=Path(__file__).resolve().parents[1], capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - started
        load_after = os.getloadavg()[0]
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise RuntimeError("atelier demo failed: " + " / ".join(tail))
        calls = _calls(workspace)
    return {"name": "demo", "wall_s": wall, "target_s": TARGET_S,
            "wall_over_target": wall / TARGET_S, "model_calls": calls["calls"],
            "model_call_s": calls["seconds"], "model_call_share": calls["seconds"] / wall,
            "load_average": {"before": load_before, "after": load_after},
            "cpus": len(os.sched_getaffinity(0))}


def _calls(workspace: Path) -> dict[str, float]:
    """Model calls of the demo's run and their summed latency, from its store."""
    from atelier.workspace import Workspace

    with sqlite3.connect(Workspace(workspace).database_file) as db:
        count, ms = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(latency_ms), 0) FROM model_calls").fetchone()
    return {"calls": count, "seconds": ms / 1000}


def table(result: dict[str, Any]) -> list[list[str]]:
    load = result["load_average"]
    return [
        ["measure", "value", "target"],
        ["`atelier demo` wall time", f"{result['wall_s']:.0f} s "
         f"({result['wall_over_target']:.2f} of the target)", f"< {TARGET_S:.0f} s"],
        ["model calls / their seconds", f"{result['model_calls']:.0f} / "
         f"{result['model_call_s']:.0f} s ({result['model_call_share']:.0%} of the wall)", ""],
        ["load average before / after", f"{load['before']:.1f} / {load['after']:.1f} "
         f"on {result['cpus']} CPUs", ""],
    ]
