"""Page geometry shared by the layout solver, the renderer and the workflow's state.

Plain frozen dataclasses in SVG user units: a ``Rect``, a ``PageSpec`` (page size, margins,
gutter, limits), a ``PlacedPanel`` and a ``Page`` of them. ``page_from_dict`` rebuilds a page
from its ``dataclasses.asdict`` form (checkpointed run state is JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Emphasis = Literal["small", "normal", "large", "splash"]
Shot = Literal["wide", "medium", "close"]

TOLERANCE = 1e-6  # absolute, in user units


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def area(self) -> float:
        return self.width * self.height

    def gap(self, other: Rect) -> float:
        """Distance along the axis that separates the two rects (negative: they overlap)."""
        return max(
            other.x - self.right, self.x - other.right, other.y - self.bottom, self.y - other.bottom
        )

    def overlaps(self, other: Rect, tol: float = TOLERANCE) -> bool:
        return self.gap(other) < -tol

    def inside(self, other: Rect, tol: float = TOLERANCE) -> bool:
        return (
            self.x >= other.x - tol
            and self.y >= other.y - tol
            and self.right <= other.right + tol
            and self.bottom <= other.bottom + tol
        )


@dataclass(frozen=True)
class PageSpec:
    width: float = 1000.0  # SVG user units (a 2:3 comic page)
    height: float = 1500.0
    margin: float = 50.0
    gutter: float = 24.0
    max_panels_per_page: int = 6
    max_rows: int = 3

    @property
    def content_rect(self) -> Rect:
        m = self.margin
        return Rect(m, m, self.width - 2 * m, self.height - 2 * m)


@dataclass(frozen=True)
class PlacedPanel:
    panel_id: str
    rect: Rect
    row: int  # 0-based row on its page
    order: int  # 0-based reading-order index on its page
    shot: Shot
    emphasis: Emphasis


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    panels: tuple[PlacedPanel, ...]
    spec: PageSpec

    @property
    def content_rect(self) -> Rect:
        return self.spec.content_rect


def page_from_dict(data: dict[str, object]) -> Page:
    """Rebuild a page from ``dataclasses.asdict(page)`` (checkpointed run state, JSON)."""
    spec = PageSpec(**data["spec"])  # type: ignore[arg-type]
    panels = tuple(
        PlacedPanel(**{**panel, "rect": Rect(**panel["rect"])})  # type: ignore[dict-item]
        for panel in data["panels"]  # type: ignore[attr-defined]
    )
    return Page(number=int(data["number"]), panels=panels, spec=spec)  # type: ignore[call-overload]
