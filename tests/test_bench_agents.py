"""The agent benchmark's readability part, on the scripted cast (the real model runs only in
`python -m bench agents`): ten different briefs, a row per seed, the median and the worst."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.agents.calls import MemoryCallLog
from atelier.agents.context import AgentContext
from atelier.agents.prompt_file import load_prompt
from atelier.testing.cast import respond
from atelier.testing.models import scripted_handle
from bench import agents
from bench.briefs import BRIEFS


def _scripted(agent: str) -> AgentContext:
    return AgentContext(prompt=load_prompt(agents.PROMPTS / f"{agent}.prompty"),
                        handle=scripted_handle(respond), log=MemoryCallLog())


def test_the_bench_has_ten_different_briefs_with_sound_bibles() -> None:
    assert len({brief.title for brief, _ in BRIEFS}) >= 10
    assert len({brief.brief for brief, _ in BRIEFS}) >= 10
    assert all(len(bible.characters) >= 2 for _, bible in BRIEFS)


def test_readability_per_seed_median_and_worst() -> None:
    rows = [agents._seed_row(seed, agents._scriptwriter(_scripted("scriptwriter"), seed))
            for seed in (1, 2)]
    clean = rows[0]
    assert (clean["word_share"], clean["junk_fields"], clean["characters"]) == (1.0, 0, 3)
    assert clean["dialogue"] == 4 and clean["repeated_dialogue"] == 0  # a line a panel
    assert clean["dropped_dialogue"] == 0
    assert clean["sentences"] >= 4 and clean["sentences_at_limit"] == 0
    worse = {**rows[1], "seed": 2, "junk_fields": 3, "junk_share": 0.1, "word_share": 0.9}
    summary = agents._summary([clean, worse])
    assert summary["worst_junk_share"] == {"seed": 2, "brief": BRIEFS[1][0].title,
                                           "value": 0.1}
    assert summary["median_word_share"] == 0.95
    assert summary["seeds_at_word_target"] == 1  # 0.9 is under the 97% a seed should reach
    assert summary["bibles_with_two_characters"] == 1.0
    assert summary["speakers_outside_panel"] == 0
    cut = {**clean, "sentences": 10, "sentences_at_limit": 2}
    assert agents._summary([cut, {**cut, "sentences_at_limit": 0}])[
        "sentences_at_limit_share"] == 0.1
    rows_shown = agents._readability_rows("scriptwriter", summary)
    assert ["scriptwriter: fields with junk, worst seed",
            f"10.0% (seed 2, {BRIEFS[1][0].title})", ""] in rows_shown
    assert ["scriptwriter: seeds with ≥ 97% dictionary words", "1/2", ""] in rows_shown
    designer = agents._seed_row(1, agents._designer(_scripted("designer"), 1))
    assert (designer["fields"], designer["junk_fields"], designer["findings"]) == (4, 0, {})


def test_the_model_measured_comes_from_a_config_or_a_gguf(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.delenv("ATELIER_BENCH_CONFIG", raising=False)
    monkeypatch.delenv("ATELIER_BENCH_GGUF", raising=False)
    assert agents.model_settings().local.gguf is None  # the bundled model
    monkeypatch.setenv("ATELIER_BENCH_GGUF", str(tmp_path / "other.gguf"))
    assert agents.model_settings().local.gguf == tmp_path / "other.gguf"
    # A config wins, its relative GGUF path taken from the config's folder as in use.
    (tmp_path / "config.toml").write_text('[models.local]\ngguf = "models/big.gguf"\n')
    monkeypatch.setenv("ATELIER_BENCH_CONFIG", str(tmp_path / "config.toml"))
    assert agents.model_settings().local.gguf == tmp_path / "models" / "big.gguf"


def test_the_demo_bench_reports_its_wall_time_against_the_target() -> None:
    from bench import demo

    result = {"wall_s": 240.0, "target_s": 300.0, "wall_over_target": 0.8, "model_calls": 40,
              "model_call_s": 200.0, "model_call_share": 200 / 240, "cpus": 2,
              "load_average": {"before": 1.0, "after": 2.5}}
    rows = demo.table(result)
    assert ["`atelier demo` wall time", "240 s (0.80 of the target)", "< 300 s"] in rows
    assert ["model calls / their seconds", "40 / 200 s (83% of the wall)", ""] in rows


def test_a_seed_that_fails_is_counted_and_its_reason_kept(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    def context(prompt, seed, log):  # type: ignore[no-untyped-def]
        return AgentContext(prompt=prompt, handle=scripted_handle(lambda _: "not json"),
                            log=log)

    monkeypatch.setattr(agents, "_context", context)
    monkeypatch.setattr(agents, "TASKS", {"scriptwriter": agents._scriptwriter})
    monkeypatch.setattr(agents, "bench_throughput", lambda: {
        "wrapper_over_raw": 1.0, "wrapper": {"tokens_per_s": 1.0}, "raw": {"tokens_per_s": 1.0}})
    result = agents.run(calls=2)
    [row] = result["agents"]
    assert (row["valid"], row["valid_rate"]) == (0, 0.0)
    assert [(f["seed"], f["task"]) for f in row["failed"]] == [(1, "bible"), (2, "bible")]
    assert "Invalid JSON" in " ".join(row["failed"][0]["problems"])
    shown = [r[0] for r in agents.table(result)]
    assert "scriptwriter: seed 1 failed (bible, 3 attempts)" in shown
