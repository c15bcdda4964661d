"""The creative nodes: series bible, episode script, character sheets (fan-out), layout
(the episode's outline and its curation are in ``workflows.curation``).

Each node calls one agent with the prompt version governance approved, writes what it made
under the run's assets folder and lists the file for ``publish``. Writing a file twice
writes the same path, so a node that runs again after a crash duplicates nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime
from langgraph.types import Send

from atelier.workflows.context import RunContext, emit
from atelier.workflows.state import DesignTask, ProducedFile, RunState

if TYPE_CHECKING:
    from atelier.agents.calls import CallRecord
    from atelier.agents.context import AgentContext
    from atelier.agents.scriptwriter import Brief, EpisodeScript


# -- helpers shared by the nodes ---------------------------------------------------------------
class _ReportedCalls:
    """The run's call log, plus a progress event per call; it holds the calls to the goal's
    token budget (``MeteredCallLog``)."""

    def __init__(self, context: RunContext, run_id: int, episode: int | None) -> None:
        self._sink = context.get_store().call_log(run_id, episode)
        self._episode = episode
        self._budget = context.budget_of_run(run_id)

    def allow(self, agent: str, estimated_tokens: int) -> None:
        self._budget.allow(agent, estimated_tokens)

    def record(self, record: CallRecord) -> None:
        self._sink.record(record)
        emit("call", episode=self._episode, agent=record.agent, task=record.task,
             outcome=record.outcome, attempts=record.attempts,
             tokens=record.prompt_tokens + record.completion_tokens,
             seconds=round(record.latency_ms / 1000, 2))


def agent_for(runtime: Runtime[RunContext], state: RunState | DesignTask, agent: str,
              episode: int | None) -> AgentContext:
    context = runtime.context
    log = _ReportedCalls(context, state["run_id"], episode)
    return context.agent(agent, state["prompts"][agent], log)


def run_dir(runtime: Runtime[RunContext], run_id: int) -> Path:
    return runtime.context.get_studio().assets_dir / f"run-{run_id}"


def episode_dir(runtime: Runtime[RunContext], run_id: int, episode: int) -> Path:
    return run_dir(runtime, run_id) / f"episode-{episode:02d}"


def write_json(path: Path, data: Any) -> None:
    """Write atomically, so a killed process never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                   encoding="utf-8")
    tmp.replace(path)


def produced_file(runtime: Runtime[RunContext], path: Path, kind: str, episode: int | None,
                  agent: str | None = None, ctx: AgentContext | None = None) -> ProducedFile:
    assets = runtime.context.get_studio().assets_dir
    entry: ProducedFile = {"kind": kind, "path": path.relative_to(assets).as_posix(),
                           "episode": episode, "agent": agent, "params": {}}
    if ctx is not None:
        params = ctx.prompt.model.params.model_dump(exclude_none=True)
        entry.update(prompt_hash=ctx.prompt.hash_hex, provider=ctx.handle.provider,
                     model=ctx.handle.model_name, model_sha256=ctx.handle.model_sha256,
                     params=params, seed=params.get("seed"))
    return entry


def brief_of(state: RunState) -> Brief:
    from atelier.agents.scriptwriter import Brief

    goal = state["goal"]
    return Brief(title=goal["title"], brief=goal.get("brief", ""),
                 format=goal.get("format", "serialized comic"), episodes=state["episodes"])


# -- nodes ---------------------------------------------------------------------------------------
def plan_series(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The series bible, once per goal (a resumed run keeps the one it has)."""
    from atelier.agents.scriptwriter import write_bible

    if state.get("bible"):
        return {}
    emit("step", episode=None, agent="scriptwriter", task="series bible")
    ctx = agent_for(runtime, state, "scriptwriter", None)
    bible = write_bible(ctx, brief_of(state)).model_dump(mode="json")
    path = run_dir(runtime, state["run_id"]) / "bible.json"
    write_json(path, bible)
    made = produced_file(runtime, path, "bible", None, "scriptwriter", ctx)
    return {"bible": bible, "files": [made]}


def write_script(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """The panels of the outline ``curate`` chose (the only one, or the members' pick)."""
    from atelier.agents.scriptwriter import EpisodeOutline, SeriesBible, write_panels

    number = state["episode"]
    emit("step", episode=number, agent="scriptwriter", task="script")
    ctx = agent_for(runtime, state, "scriptwriter", number)
    bible = SeriesBible.model_validate(state["bible"])
    outline = EpisodeOutline.model_validate(state["outline"])
    script = write_panels(ctx, brief_of(state), bible, number, list(state.get("summaries", [])),
                          outline)
    path = episode_dir(runtime, state["run_id"], number) / "script.json"
    write_json(path, script.model_dump(mode="json"))
    return {"script": script.model_dump(mode="json"), "findings": [], "layout": None,
            "files": [produced_file(runtime, path, "script", number, "scriptwriter", ctx)]}


def route_designs(state: RunState) -> list[Send] | str:
    """One branch per character in this episode whose sheet is missing or out of date
    (its bible entry changed); none needed goes straight to layout."""
    from atelier.agents.designer import needs_sheet
    from atelier.agents.scriptwriter import BibleCharacter

    script = state["script"] or {}
    appearances = _appearances(script)
    sends: list[Send] = []
    sheets = state.get("sheets") or {}
    for entry in (state["bible"] or {}).get("characters", []):
        character = BibleCharacter.model_validate(entry)
        if character.id not in appearances:
            continue
        designed_from = (sheets.get(character.id) or {}).get("designed_from")
        if needs_sheet(character, designed_from):
            task: DesignTask = {
                "run_id": state["run_id"], "episode": state["episode"], "character": entry,
                "appearances": appearances[character.id], "bible": state["bible"] or {},
                "prompts": state["prompts"],
            }
            sends.append(Send("design_character", task))
    return sends or "layout_pages"


def _appearances(script: dict[str, Any]) -> dict[str, list[str]]:
    """character id -> script lines showing them, for the designer."""
    lines: dict[str, list[str]] = {}
    for scene in script.get("scenes", []):
        for panel in scene["panels"]:
            for character in panel["characters"]:
                lines.setdefault(character, []).append(panel["action"])
            for line in panel["dialogue"]:
                lines.setdefault(line["speaker"], []).append(f'says "{line["text"]}"')
    return lines


def design_character(task: DesignTask, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.agents.designer import character_fingerprint, design_character
    from atelier.agents.scriptwriter import BibleCharacter, SeriesBible

    character = BibleCharacter.model_validate(task["character"])
    emit("step", episode=task["episode"], agent="designer", task=f"sheet: {character.name}")
    ctx = agent_for(runtime, task, "designer", task["episode"])
    bible = SeriesBible.model_validate(task["bible"])
    sheet = design_character(ctx, bible, character, task["appearances"])
    path = run_dir(runtime, task["run_id"]) / "characters" / f"{character.id}.json"
    write_json(path, sheet.model_dump(mode="json"))
    entry = {"sheet": sheet.model_dump(mode="json"),
             "designed_from": character_fingerprint(character), "episode": task["episode"]}
    return {"sheets": {character.id: entry},
            "files": [produced_file(runtime, path, "sheet", task["episode"], "designer", ctx)]}


def layout_pages(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.agents.layout import lay_out_episode

    number = state["episode"]
    emit("step", episode=number, agent="layout", task="pages")
    ctx = agent_for(runtime, state, "layout", number)
    layout = lay_out_episode(ctx, script_of(state))
    data = {"plan": layout.plan.model_dump(mode="json"),
            "pages": [asdict(page) for page in layout.pages]}
    path = episode_dir(runtime, state["run_id"], number) / "layout.json"
    write_json(path, data)
    return {"layout": data,
            "files": [produced_file(runtime, path, "layout", number, "layout", ctx)]}


def script_of(state: RunState) -> EpisodeScript:
    from atelier.agents.scriptwriter import EpisodeScript

    return EpisodeScript.model_validate(state["script"])

