"""The readability measure on a run: findings for an episode's review, sums per agent for
the audit (``atelier.agents.readability_story`` does the measuring; this module finds the
texts: the run's state for the review, the recorded assets for the audit)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from atelier.agents.readability import Finding, ReadabilitySettings
    from atelier.agents.readability_story import Measure, ReadabilityStats
    from atelier.agents.scriptwriter import Brief, EpisodeScript, SeriesBible
    from atelier.store.database import Store

M = TypeVar("M", bound=BaseModel)

#: The agents whose outputs hold text a reader reads (the layout agent writes none).
MEASURED = ("scriptwriter", "designer")

_PANEL_FIELD = re.compile(r"^scenes\.(\d+)\.panels\.(\d+)\.(.+)$")
_SCENE_FIELD = re.compile(r"^scenes\.(\d+)\.(.+)$")
_LINE = re.compile(r"^dialogue\.(\d+)\.text$")


def review_findings(script: EpisodeScript, bible: SeriesBible, brief: Brief,
                    sheets: list[dict[str, Any]], settings: ReadabilitySettings,
                    *, with_bible: bool) -> list[str]:
    """An episode's readability findings in words, each saying which text it is about:
    the script's, the sheets designed for it, and the bible's with the first episode."""
    from atelier.agents.designer import CharacterSheet
    from atelier.agents.readability_story import measure_bible, measure_episode, measure_sheet

    found = [_script_place(f, script) for f in
             measure_episode(script, bible, brief, settings).findings]
    characters = {c.id: c for c in bible.characters}
    for data in sheets:
        sheet = CharacterSheet.model_validate(data)
        character = characters.get(sheet.character_id)
        if character is not None:
            measured = measure_sheet(sheet, character, bible, brief, settings)
            found += [_prefixed(f, f"sheet {sheet.character_id}") for f in measured.findings]
    if with_bible:
        found = [_prefixed(f, "bible") for f in
                 measure_bible(bible, brief, settings).findings] + found
    return found


def _prefixed(finding: Finding, output: str) -> str:
    where = finding.where if finding.where.startswith(output) else f"{output} {finding.where}"
    return f"{where}: {finding.message}"


def _script_place(finding: Finding, script: EpisodeScript) -> str:
    """"scenes.0.panels.1.action" as a reader says it: "panel 2 action"."""
    where = finding.where
    if match := _PANEL_FIELD.match(where):
        scene, panel, rest = int(match[1]), int(match[2]), match[3]
        number = script.scenes[scene].panels[panel].number
        line = _LINE.match(rest)
        rest = f"line {int(line[1]) + 1}" if line else rest
        where = f"panel {number} {rest}"
    elif match := _SCENE_FIELD.match(where):
        where = f"scene {int(match[1]) + 1} {match[2]}"
    elif where in ("title", "summary"):
        where = f"episode {where}"
    return f"{where}: {finding.message}"


def agent_readability(store: Store, assets_dir: Path, run_id: int, window: tuple[int, int],
                      bible: SeriesBible | None, brief: Brief, settings: ReadabilitySettings
                      ) -> dict[str, ReadabilityStats]:
    """Per measured agent, its texts of an audit window summed up: the bible (with the
    first window), the episodes' scripts and the sheets designed for them."""
    from atelier.agents.designer import CharacterSheet
    from atelier.agents.readability_story import (
        ReadabilityStats,
        measure_bible,
        measure_episode,
        measure_sheet,
    )
    from atelier.agents.scriptwriter import EpisodeScript

    first, last = window
    measures: dict[str, list[Measure]] = {agent: [] for agent in MEASURED}
    if bible is not None:
        if first == 1:
            measures["scriptwriter"].append(measure_bible(bible, brief, settings))
        characters = {c.id: c for c in bible.characters}
        for asset in store.assets(run_id):
            if asset.episode is None or not first <= asset.episode <= last:
                continue
            if asset.kind == "script":
                script = _read(assets_dir / asset.path, EpisodeScript)
                if script is not None:
                    measures["scriptwriter"].append(
                        measure_episode(script, bible, brief, settings))
            elif asset.kind == "sheet":
                sheet = _read(assets_dir / asset.path, CharacterSheet)
                if sheet is not None and sheet.character_id in characters:
                    measures["designer"].append(measure_sheet(
                        sheet, characters[sheet.character_id], bible, brief, settings))
    return {agent: ReadabilityStats.of(found) for agent, found in measures.items()}


def _read(path: Path, model: type[M]) -> M | None:
    """The output a run recorded; None when its file was removed or edited out of shape
    (the audit measures what is there and goes on)."""
    try:
        return model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
