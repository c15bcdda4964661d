"""The page-layout agent: the model suggests each panel's emphasis, shot size and page
breaks; the deterministic solver (``layout_solver``) turns that into valid geometry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from atelier.agents.context import AgentContext
from atelier.agents.layout_solver import PanelRequest, check_layout, solve_layout
from atelier.agents.scriptwriter import EpisodeScript, Shot
from atelier.agents.structured import Narrowing, generate
from atelier.kernel.geometry import Emphasis, Page, PageSpec

AGENT = "layout"


class PanelDirection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    panel: int = Field(description="the panel's number in the script")
    emphasis: Emphasis
    shot: Shot
    page_break_before: bool = False


class LayoutPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    panels: list[PanelDirection] = Field(min_length=1, max_length=12)


@dataclass(frozen=True)
class EpisodeLayout:
    plan: LayoutPlan
    pages: list[Page]


def check_plan(plan: LayoutPlan, script: EpisodeScript) -> list[str]:
    expected = [p.number for p in script.panels]
    got = [d.panel for d in plan.panels]
    problems = []
    missing = [n for n in expected if n not in got]
    if missing:
        problems.append(f"panels: give a direction for every panel; missing {missing}")
    extra = sorted({n for n in got if n not in expected})
    if extra:
        problems.append(
            f"panels: {extra} are not panel numbers in the script (they run 1 to {len(expected)})"
        )
    repeated = sorted({n for n in got if got.count(n) > 1})
    if repeated:
        problems.append(f"panels: {repeated} appear more than once")
    if not problems and got != expected:
        problems.append("panels: keep the script's order (1, 2, 3, ...)")
    return problems


def exact_panels(count: int) -> Narrowing:
    """Grammar narrowing: exactly one direction per panel, numbered from the script."""

    def narrow(key: str | None, node: dict[str, Any]) -> dict[str, Any] | None:
        if key == "panels" and node.get("type") == "array":
            return {**node, "minItems": count, "maxItems": count}
        if key == "panel" and node.get("type") == "integer":
            return {"type": "integer", "enum": list(range(1, count + 1))}
        return None

    return narrow


def lay_out_episode(
    ctx: AgentContext, script: EpisodeScript, spec: PageSpec | None = None
) -> EpisodeLayout:
    panels = [
        {
            "number": p.number,
            "shot": p.shot,
            "action": p.action[:120],
            "lines": len(p.dialogue) + (1 if p.caption else 0),
        }
        for p in script.panels
    ]
    plan = generate(
        agent=AGENT,
        task="page layout",
        prompt=ctx.prompt,
        handle=ctx.handle,
        log=ctx.log,
        inputs={"title": script.title, "panels": panels},
        schema=LayoutPlan,
        check=lambda p: check_plan(p, script),
        max_attempts=ctx.max_attempts,
        narrow=exact_panels(len(panels)),
    )
    requests = [
        PanelRequest(
            panel_id=str(d.panel),
            emphasis=d.emphasis,
            shot=d.shot,
            break_before=d.page_break_before,
        )
        for d in plan.panels
    ]
    pages = solve_layout(requests, spec or PageSpec())
    problems = check_layout(pages, requests)
    if problems:  # the solver guarantees this; a failure here is our bug, not the model's
        raise AssertionError(f"layout solver produced invalid pages: {problems}")
    return EpisodeLayout(plan=plan, pages=pages)
