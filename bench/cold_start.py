"""Cold start: `atelier --help` as a user's shell starts it, a new process each time.

Median wall time of N runs of the installed console script, interleaved with the same
number of `python -c pass` runs (the interpreter's own start, the floor) and of a process
that only imports Typer's Rich help machinery (what any Typer app with Rich help pays);
prints the medians and the ratio to the floor (target: `atelier --help` < 0.5 s).

One extra run under `python -X importtime` shows where the time goes: the command modules
`atelier.cli.main` imports, and the heaviest other modules Atelier modules import
directly. Import time there is inflated by the measuring, and a module is charged to
whoever imports it first (rich.markdown, say, comes with Typer's Rich help anyway).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUNS = 15
TARGET_S = 0.5
TOP_IMPORTS = 4


def commands() -> dict[str, list[str]]:
    script = Path(sys.executable).with_name("atelier")
    atelier = [str(script)] if script.exists() else [sys.executable, "-m", "atelier"]
    return {
        "atelier --help": [*atelier, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "import typer.rich_utils": [sys.executable, "-c", "import typer.rich_utils"],
    }


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True)
    return time.perf_counter() - started


def run(runs: int = RUNS) -> dict[str, Any]:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("ATELIER_CONFIG", None)
    argvs = commands()
    for argv in argvs.values():  # warm the page cache and .pyc files
        _time(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            samples[name].append(_time(argv, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    help_s, floor_s = medians["atelier --help"], medians["python -c pass"]
    return {
        "name": "cold",
        "runs": runs,
        "command": argvs["atelier --help"],
        "median_s": {name: round(value, 4) for name, value in medians.items()},
        "min_s": {name: round(min(values), 4) for name, values in samples.items()},
        "ratio_to_python": round(help_s / floor_s, 2),
        "target_s": TARGET_S,
        "meets_target": help_s < TARGET_S,
        **import_costs(env),
    }


def import_costs(env: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    cmd = [sys.executable, "-X", "importtime", "-m", "atelier", "--help"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    edges = parse_importtime(done.stderr)

    def rows(found: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
        return [{"importer": importer, "module": module, "ms": round(us / 1000, 1)}
                for importer, module, us in found[:TOP_IMPORTS]]

    return {
        "command_modules": rows([e for e in edges if e[0] == "atelier.cli.main"
                                 and e[1].startswith("atelier.")]),
        "heaviest_imports": rows([e for e in edges if not e[1].startswith("atelier.cli.")]),
    }


def parse_importtime(text: str) -> list[tuple[str, str, int]]:
    """(importer, module, cumulative µs) for each module an Atelier module imported first,
    heaviest first. ``-X importtime`` prints children before their parent, indented by
    depth."""
    rows: list[tuple[int, str, int]] = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not cumulative.strip().isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((depth, name.strip(), int(cumulative)))
    found: list[tuple[str, str, int]] = []
    parents: dict[int, str] = {}
    for depth, name, cumulative in reversed(rows):  # parents now come before children
        parents[depth] = name
        parent = parents.get(depth - 1, "") if depth > 0 else ""
        if parent.startswith("atelier"):
            found.append((parent, name, cumulative))
    return sorted(found, key=lambda row: -row[2])


def table(result: dict[str, Any]) -> list[list[str]]:
    m = result["median_s"]
    rows = [["measure", "value", "target"],
            [f"atelier --help, median of {result['runs']} processes",
             f"{m['atelier --help'] * 1000:.0f} ms", f"< {result['target_s'] * 1000:.0f} ms"],
            ["python -c pass (the interpreter's start)", f"{m['python -c pass'] * 1000:.0f} ms",
             ""],
            ["import typer.rich_utils (Typer's Rich help, any app)",
             f"{m['import typer.rich_utils'] * 1000:.0f} ms", ""],
            ["atelier --help / python -c pass", f"{result['ratio_to_python']:.1f}", ""]]
    for row in result["command_modules"]:
        rows.append([f"  -X importtime: {row['module']} (with what it imports first)",
                     f"{row['ms']:.0f} ms", ""])
    for row in result["heaviest_imports"]:
        rows.append([f"  -X importtime: {row['module']} (imported by {row['importer']})",
                     f"{row['ms']:.0f} ms", ""])
    return rows
