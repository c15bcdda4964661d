"""Staging a panel: a backdrop from the scene's setting and the characters placed left to
right, scaled by shot size (wide: whole small figures on the ground; medium: from the hips
up; close: head and shoulders)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from atelier.agents.scriptwriter import Mood, Shot
from atelier.kernel.geometry import Rect
from atelier.pictures.figures import HEAD_R, HEAD_Y, HEIGHT, FigureStyle, draw_figure, shade
from atelier.pictures.svg import el

# (how much of the figure frame shows, what share of the panel's height it fills)
_SHOT_FRAME = {"wide": (HEIGHT, 0.5), "medium": (140.0, 0.66), "close": (82.0, 0.68)}
_FIGURE_WIDTH = 100.0  # a figure's width with its arms, in its own frame
_GROUND = 0.07  # wide shots: the feet stand this share of the panel's height above its bottom

# setting words -> (sky or wall, ground or floor); the first matching entry wins
_BACKDROPS: list[tuple[tuple[str, ...], tuple[str, str]]] = [
    (("space", "star", "planet", "orbit", "galaxy"), ("#1f1d3d", "#3b3561")),
    (
        ("night", "midnight", "dark", "moon", "storm", "cave", "tunnel", "dungeon"),
        ("#34415e", "#4b5563"),
    ),
    (
        (
            "sea",
            "ocean",
            "beach",
            "shore",
            "harbour",
            "harbor",
            "coast",
            "lighthouse",
            "pier",
            "boat",
            "ship",
            "island",
            "dock",
        ),
        ("#cfe8f3", "#e6d3a3"),
    ),
    (("snow", "ice", "winter", "mountain", "glacier", "arctic"), ("#e8f0f8", "#fbfdff")),
    (("desert", "dune", "canyon"), ("#fbe7c6", "#e3b776")),
    (
        ("forest", "wood", "garden", "park", "jungle", "field", "meadow", "farm", "orchard"),
        ("#e1f0d5", "#86b36b"),
    ),
    (
        ("city", "street", "town", "market", "road", "alley", "square", "station", "village"),
        ("#e7e4f1", "#a3a3ad"),
    ),
    (
        (
            "kitchen",
            "room",
            "house",
            "home",
            "office",
            "library",
            "shop",
            "cafe",
            "café",
            "school",
            "class",
            "hall",
            "lab",
            "inside",
            "indoor",
            "attic",
            "workshop",
            "studio",
            "tower",
            "castle",
            "museum",
            "bar",
            "tavern",
            "inn",
        ),
        ("#f3e7d3", "#c49a6c"),
    ),
]


def backdrop_colours(setting: str) -> tuple[str, str]:
    words = setting.lower()
    for keys, colours in _BACKDROPS:
        if any(key in words for key in keys):
            return colours
    # no known word: a pale colour of its own per setting, stable across runs
    hue = hashlib.sha256(setting.encode("utf-8")).digest()[0]
    rgb = (180 + hue % 60, 190 + (hue * 7) % 50, 200 + (hue * 13) % 40)
    base = "#" + "".join(f"{c:02x}" for c in rgb)
    return base, shade(base, 0.7)


def draw_backdrop(parent: ET.Element, rect: Rect, setting: str, shot: Shot) -> None:
    sky, ground = backdrop_colours(setting)
    el(parent, "rect", x=rect.x, y=rect.y, width=rect.width, height=rect.height, fill=sky)
    if shot == "close":  # a close-up has no floor, just a soft band behind the head
        el(
            parent,
            "rect",
            x=rect.x,
            y=rect.y + rect.height * 0.55,
            width=rect.width,
            height=rect.height * 0.45,
            fill=shade(sky, 0.92),
        )
        return
    share = 0.2 if shot == "wide" else 0.14
    top = rect.bottom - rect.height * share
    el(parent, "rect", x=rect.x, y=top, width=rect.width, height=rect.bottom - top, fill=ground)
    el(
        parent,
        "path",
        d=f"M{rect.x:.2f} {top:.2f}H{rect.right:.2f}",
        stroke=shade(ground, 0.7),
        stroke_width=2,
    )


@dataclass(frozen=True)
class Placement:
    character_id: str
    x: float  # figure centre
    top: float  # head top
    scale: float  # page units per figure unit (before the style's own height)
    facing: float
    style: FigureStyle

    @property
    def head(self) -> tuple[float, float, float]:
        """Head centre and radius on the page."""
        s = self.scale * self.style.height
        return self.x, self.top + HEAD_Y * s, HEAD_R * s

    @property
    def head_top(self) -> float:
        """The top of the head with what sits on it (hat, bun, spikes)."""
        _, hy, hr = self.head
        return hy - hr - self.style.crown * self.scale * self.style.height


def stage(
    rect: Rect, shot: Shot, cast: Sequence[tuple[str, FigureStyle]], *, lettering: bool = True
) -> list[Placement]:
    """Places for ``cast`` in ``rect`` (the panel's drawing area), left to right;
    ``lettering``: the panel has balloons or captions, so figures leave the top free."""
    if not cast:
        return []
    visible, share = _SHOT_FRAME[shot]
    if not lettering and shot != "wide":  # no balloons to make room for: come closer
        share = 0.85
    column = rect.width / len(cast)
    scale = min(share * rect.height / visible, 0.92 * column / _FIGURE_WIDTH)
    placements = []
    for i, (cid, style) in enumerate(cast):
        x = rect.x + column * (i + 0.5)
        s = scale * style.height
        if shot == "wide":
            top = rect.bottom - _GROUND * rect.height - HEIGHT * s
        else:  # a figure narrowed by its column shows more of itself, head at the same height
            top = rect.bottom - min(share * rect.height * style.height, HEIGHT * s)
        centre = rect.x + rect.width / 2
        facing = (
            0.0 if len(cast) == 1 else (0.8 if x < centre - 1 else -0.8 if x > centre + 1 else 0.0)
        )
        placements.append(Placement(cid, x, top, scale, facing, style))
    return placements


def draw_cast(parent: ET.Element, placements: Sequence[Placement], mood: Mood) -> None:
    for p in placements:
        draw_figure(parent, p.style, mood, x=p.x, top=p.top, scale=p.scale, facing=p.facing)
