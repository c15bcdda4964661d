"""Agent benchmarks on the embedded model (SmolLM2-135M via llama.cpp in-process):

- tokens/s through our wrapper (LangChain -> OpenAI protocol -> in-process server) / raw
  xllamacpp, measured alternately in the same run (target ≥ 0.95);
- schema-valid rate over N seeded calls per agent, after retries (target 100%), and on the
  first attempt;
- median latency per agent call (retries included).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from atelier.agents.calls import MemoryCallLog
from atelier.agents.context import AgentContext
from atelier.agents.designer import design_character
from atelier.agents.layout import lay_out_episode
from atelier.agents.models.factory import chat_model_for
from atelier.agents.models.settings import ModelSettings
from atelier.agents.prompt_file import PromptFile, load_prompt
from atelier.agents.scriptwriter import (
    Brief,
    EpisodeScript,
    PanelScript,
    Scene,
    SeriesBible,
    write_bible,
)
from atelier.agents.structured import AgentOutputError
from bench.throughput import bench_throughput

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
CALLS_PER_AGENT = 20
BRIEF = Brief(title="The Lighthouse Keepers", brief="Two keepers on a stormy island find "
              "out what the sea has been sending them.", episodes=2)
BIBLE = SeriesBible.model_validate({
    "title": "The Lighthouse Keepers", "logline": "Two keepers guard a light the sea wants out.",
    "tone": "mystery", "world": "A rocky island with a tall lighthouse and storms every night.",
    "characters": [
        {"id": "mara", "name": "Mara", "role": "protagonist", "look": "Tall, yellow raincoat.",
         "personality": "Stubborn and curious."},
        {"id": "tom", "name": "Tom", "role": "mentor", "look": "White beard, blue cap.",
         "personality": "Gruff but kind."}],
    "arc": "They learn the storm is a messenger, not an enemy.",
})
SCRIPT = EpisodeScript(number=1, title="The First Storm", summary="A storm hits.", scenes=(
    Scene(setting="The lamp room", beat="Tom shows Mara the lamp.", panels=tuple(
        PanelScript(number=i, shot=shot, action=action, characters=["mara"], mood="neutral")
        for i, (shot, action) in enumerate([
            ("wide", "The lighthouse in a storm."), ("medium", "Tom trims the wick."),
            ("close", "Mara's eyes widen."), ("wide", "A green light under the waves.")],
            start=1))),))


def _context(prompt: PromptFile, seed: int, log: MemoryCallLog) -> AgentContext:
    params = prompt.model.params.model_copy(update={"seed": seed})
    handle = chat_model_for(ModelSettings(), params)
    return AgentContext(prompt=prompt, handle=handle, log=log)


TASKS = {
    "scriptwriter": lambda ctx: write_bible(ctx, BRIEF),
    "designer": lambda ctx: design_character(ctx, BIBLE, BIBLE.characters[0],
                                             ["Mara stares at the sea."]),
    "layout": lambda ctx: lay_out_episode(ctx, SCRIPT),
}


def run(calls: int = CALLS_PER_AGENT) -> dict[str, Any]:
    throughput = bench_throughput()
    agents = []
    for agent, task in TASKS.items():
        prompt = load_prompt(PROMPTS / f"{agent}.prompty")
        log = MemoryCallLog()
        valid = 0
        for seed in range(1, calls + 1):
            try:
                task(_context(prompt, seed, log))
                valid += 1
            except AgentOutputError:
                pass
        latencies = [r.latency_ms for r in log.records]
        first_try = sum(1 for r in log.records if r.outcome == "ok" and r.attempts == 1)
        agents.append({
            "agent": agent, "calls": calls, "valid": valid, "valid_rate": valid / calls,
            "first_attempt_rate": first_try / calls,
            "mean_attempts": statistics.mean(r.attempts for r in log.records),
            "median_latency_ms": statistics.median(latencies),
            "completion_tokens": sum(r.completion_tokens for r in log.records),
        })
    return {"name": "agents", "throughput": throughput, "agents": agents}


def table(result: dict[str, Any]) -> list[list[str]]:
    t = result["throughput"]
    rows = [["measure", "value", "target"],
            ["tokens/s wrapper / raw xllamacpp", f"{t['wrapper_over_raw']:.3f}", "≥ 0.95"],
            ["tokens/s wrapper", f"{t['wrapper']['tokens_per_s']:.1f}", ""],
            ["tokens/s raw", f"{t['raw']['tokens_per_s']:.1f}", ""]]
    for a in result["agents"]:
        rows.append([f"{a['agent']}: schema-valid after retries", f"{a['valid_rate']:.0%} "
                     f"({a['valid']}/{a['calls']})", "100%"])
        rows.append([f"{a['agent']}: valid on first attempt", f"{a['first_attempt_rate']:.0%}",
                     ""])
        rows.append([f"{a['agent']}: median latency", f"{a['median_latency_ms']:.0f} ms", ""])
    return rows
