"""The gas benchmark runs, and Atelier's governor never costs more gas than the plain
OpenZeppelin reference for the same operation (gas is deterministic, unlike time)."""

from __future__ import annotations

import pytest

from bench import gas

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def test_gas_benchmark_meets_its_targets() -> None:
    result = gas.run()
    rows = {r["operation"]: r for r in result["rows"]}
    assert list(rows) == list(gas.OPERATIONS)
    for op, row in rows.items():
        assert row["reference_gas"] > 20_000, op  # a real transaction was measured
        assert row["ratio"] <= 1.00, f"{op}: {row['atelier_gas']} > {row['reference_gas']}"
    table = gas.table(result)
    assert len(table) == len(gas.OPERATIONS) + 1
