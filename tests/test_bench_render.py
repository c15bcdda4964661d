"""The render benchmark runs on a tiny episode and reports each stage per page (no timing
assertions: these machines are noisy)."""

from __future__ import annotations

from bench import render


def test_render_benchmark_reports_each_stage_per_page() -> None:
    result = render.run(panel_counts=(2,), repeats=1)
    assert result["name"] == "render"
    [row] = result["rows"]
    assert row["panels"] == 2 and row["pages"] == 2  # one comic page and the title page
    stages = [row["svg_ms_per_page"], row["png_ms_per_page"], row["pdf_ms_per_page"]]
    assert all(ms > 0 for ms in stages)
    rows = render.table(result)
    assert len(rows) == 2 and len(rows[0]) == len(rows[1])


def test_the_benchmark_episodes_are_what_they_say() -> None:
    for count in render.PANEL_COUNTS:
        script, pages = render.episode(count)
        assert len(script.panels) == count
        assert sorted(int(p.panel_id) for page in pages for p in page.panels) == list(
            range(1, count + 1))
