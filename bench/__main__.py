"""Run the benchmarks: `uv run python -m bench [NAME ...] [--out FILE]`.

Each benchmark measures its subject side by side with a reference in the same run (these
machines are noisy), prints a table of ratios and writes JSON for comparison over time.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import (
    agents,
    chain_reads,
    cold_start,
    curation,
    demo,
    editor,
    gas,
    graph,
    render,
    scaling,
    service,
    whales,
)

BENCHMARKS = {"gas": gas, "agents": agents, "editor": editor, "curation": curation,
              "demo": demo,
              "cold": cold_start, "graph": graph, "render": render, "scaling": scaling,
              "reads": chain_reads, "whales": whales,
              "service": service}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file to write (default: bench/results/<time>.json)")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    console = Console(width=max(Console().width, 120))
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"python": platform.python_version(), "cpus": _cpus(),
                           "platform": platform.platform()},
               "benchmarks": {}}
    for name in args.names or BENCHMARKS:
        module = BENCHMARKS[name]
        with console.status(f"running benchmark {name}"):
            result = module.run()
        results["benchmarks"][name] = result
        rows = module.table(result)
        table = Table(title=f"benchmark: {name}")
        for column in rows[0]:
            table.add_column(column)
        for row in rows[1:]:
            table.add_row(*row)
        console.print(table)
    out = args.out or Path("bench/results") / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"results written to {out}")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
