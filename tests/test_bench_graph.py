"""The graph benchmark runs on a tiny configuration and reports what it promises (times are
measured by the benchmark, not asserted here); the cold-start bench reads -X importtime."""

from __future__ import annotations

import pytest

from bench import cold_start, graph

pytestmark = pytest.mark.slow


def test_graph_benchmark_runs_and_reports_its_measures() -> None:
    result = graph.run(episodes=1, repeats=1, latency_s=0.001, characters=2)

    overhead = result["overhead"]
    assert set(overhead["median_s"]) == {"ours", "bare", "ours_memory_checkpointer",
                                         "agents_only"}
    assert overhead["ratio"] > 0 and overhead["ratio_memory_checkpointer"] > 0
    assert overhead["ratio_of_medians"] > 0 and overhead["ratio_of_minimums"] > 0
    assert set(overhead["overhead_split_s"]) == {"outside_graph", "between_nodes", "in_nodes"}
    assert overhead["studio_work"]["ratio"] > 0
    assert overhead["studio_work"]["ratio_without_chain_and_pictures"] > 0
    for side in ("ours", "bare", "agents_only"):
        breakdown = overhead["breakdown_s"][side]
        assert set(graph.NODES) <= set(breakdown)
        assert breakdown["plan_series"] > 0 and breakdown["write_script"] > 0
    # ours and the bare graph run the same node functions: both reach the chain
    assert overhead["breakdown_s"]["bare"]["sync_governance"] > 0
    assert overhead["breakdown_s"]["bare"]["audit_checkpoint"] > 0

    fanout = result["fanout"]
    assert [(m["graph"], m["max_concurrency"]) for m in fanout["modes"]][2:] == [
        ("bare", graph.CONCURRENCY), ("bare", 1), ("agents_only", graph.CONCURRENCY)]
    for mode in fanout["modes"]:
        assert mode["characters_designed"] == 2  # both characters are new in episode 1
        # bible, outline, two scenes, one sheet (the other runs beside it), layout
        assert mode["model_calls_on_path"] == 6
        assert 0 < mode["critical_path_s"] <= mode["wall_s"]
        assert mode["ratio"] > 0 and mode["design_step_s"] > 0
        assert mode["peak_parallel_nodes"] >= 1
    assert fanout["design_gain"]["ours"] > 0 and fanout["design_gain"]["bare"] > 0

    rows = graph.table(result)
    assert rows[0] == ["measure", "value", "target"]
    assert all(len(row) == 3 for row in rows)


def test_critical_path_counts_parallel_sheets_once() -> None:
    calls = [(None, "scriptwriter", 1), (1, "scriptwriter", 2), (1, "designer", 1),
             (1, "designer", 3), (1, "layout", 1), (2, "designer", 1)]
    assert graph.critical_path_calls(calls) == 1 + 2 + 3 + 1 + 1


def test_cold_start_names_the_modules_atelier_imports() -> None:
    text = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |       pydantic_core",
        "import time:       200 |        300 |     pydantic",
        "import time:        50 |        350 |   atelier.config",
        "import time:        10 |         10 |   rich.table",
        "import time:        20 |        380 | atelier.cli.demo",
    ])
    assert cold_start.parse_importtime(text) == [
        ("atelier.cli.demo", "atelier.config", 350),
        ("atelier.config", "pydantic", 300),
        ("atelier.cli.demo", "rich.table", 10),
    ]
