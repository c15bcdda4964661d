"""Balloons and caption boxes: their geometry (so layout and tests can check containment)
and their drawing.

A balloon is a text block in a body (the block plus padding), with a decoration margin
around the body (a thought's cloud bumps, a shout's spikes) and a tail towards its speaker.
The *outer* rect (body plus margin) is what layout places; a tail stays inside the panel.
Outlines are merged the way letterers do it: all strokes first, then all fills on top, so
the body and its tail read as one shape.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

from atelier.kernel.geometry import Rect
from atelier.pictures import text as T
from atelier.pictures.svg import INK, PAPER, Point, el, num, path_d, text_lines

Kind = Literal["speech", "thought", "whisper", "shout", "caption", "location"]

STROKE = 2.5
CAPTION_FILL = "#fff1b8"
PAD = {  # (horizontal, vertical) padding between the text block and the body's edge
    "speech": (14.0, 9.0),
    "whisper": (14.0, 9.0),
    "shout": (12.0, 8.0),
    "thought": (12.0, 8.0),
    "caption": (10.0, 7.0),
    "location": (9.0, 5.0),
}
MARGIN = {"thought": 11.0, "shout": 12.0}  # decoration outside the body
CORNER = 24.0  # largest corner radius of a speech balloon


def pad(kind: Kind) -> tuple[float, float]:
    return PAD[kind]


def margin(kind: Kind) -> float:
    return MARGIN.get(kind, STROKE / 2)


def outer_size(kind: Kind, block: T.Block) -> tuple[float, float]:
    """Width and height the balloon needs in the layout for ``block``."""
    px, py = PAD[kind]
    m = margin(kind)
    return block.width + 2 * (px + m), block.height + 2 * (py + m)


def text_room(kind: Kind, width: float, height: float) -> tuple[float, float]:
    """The largest text block that fits a balloon with this outer size."""
    px, py = PAD[kind]
    m = margin(kind)
    return width - 2 * (px + m), height - 2 * (py + m)


@dataclass(frozen=True)
class Balloon:
    kind: Kind
    block: T.Block
    outer: Rect  # where layout placed it; the body is centred in it
    tail: Point | None = None  # the tail's tip, if it has one

    @property
    def body(self) -> Rect:
        m = margin(self.kind)
        return Rect(
            self.outer.x + m, self.outer.y + m, self.outer.width - 2 * m, self.outer.height - 2 * m
        )

    @property
    def text_box(self) -> Rect:
        """Where the lines are set: the block's own size, centred in the body."""
        b = self.body
        w, h = self.block.width, self.block.height
        if self.kind in ("caption", "location"):
            return Rect(b.x + PAD[self.kind][0], b.y + (b.height - h) / 2, w, h)
        return Rect(b.x + (b.width - w) / 2, b.y + (b.height - h) / 2, w, h)

    @property
    def corner(self) -> float:
        if self.kind in ("caption", "location"):
            return 0.0
        b = self.body
        return min(CORNER, b.height / 2, b.width / 2)

    def tail_base(self) -> tuple[Point, Point, Point] | None:
        """Two base points inside the body and the tip, or None without a tail."""
        if self.tail is None:
            return None
        b, tx, ty = self.body, *self.tail
        half = min(9.0, b.width / 4)
        inset = min(8.0, b.height / 3)
        r = self.corner
        if b.x <= tx <= b.right or ty >= b.bottom:  # leave from the bottom edge
            bx = min(max(tx, b.x + r + half), b.right - r - half)
            if b.width < 2 * (r + half):
                bx = b.x + b.width / 2
            return (bx - half, b.bottom - inset), (bx + half, b.bottom - inset), (tx, ty)
        side = b.right if tx > b.right else b.x
        sign = 1 if tx > b.right else -1
        by = min(max(ty, b.y + r + half), b.bottom - r - half)
        if b.height < 2 * (r + half):
            by = b.y + b.height / 2
        return (side - sign * inset, by - half), (side - sign * inset, by + half), (tx, ty)


def _rounded(parent: ET.Element, r: Rect, corner: float, **attrs: str | float) -> None:
    el(parent, "rect", x=r.x, y=r.y, width=r.width, height=r.height, rx=corner, **attrs)


def _tail_d(base: tuple[Point, Point, Point]) -> str:
    (ax, ay), (bx, by), (tx, ty) = base
    mx, my = (ax + bx) / 2, (ay + by) / 2
    # a gentle curve: the control point sits a little off the straight line
    cx, cy = mx + (tx - mx) * 0.5 + (by - ay) * 0.4, my + (ty - my) * 0.5 - (bx - ax) * 0.4
    return f"M{num(ax)} {num(ay)}Q{num(cx)} {num(cy)} {num(tx)} {num(ty)}L{num(bx)} {num(by)}Z"


def _cloud(body: Rect, bump: float) -> list[tuple[float, float, float]]:
    """Circles (cx, cy, r) along the body's edge; together with the body, a cloud."""
    circles = []
    for (x0, y0), (x1, y1) in (
        ((body.x, body.y), (body.right, body.y)),
        ((body.right, body.y), (body.right, body.bottom)),
        ((body.right, body.bottom), (body.x, body.bottom)),
        ((body.x, body.bottom), (body.x, body.y)),
    ):
        length = math.hypot(x1 - x0, y1 - y0)
        count = max(1, round(length / (bump * 1.5)))
        for i in range(count):
            t = i / count
            circles.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, bump))
    return circles


def _burst(body: Rect, spike: float) -> list[Point]:
    """A jagged outline around the body: spikes out to ``spike``, valleys close to it."""
    points: list[Point] = []
    corners = [
        (body.x, body.y),
        (body.right, body.y),
        (body.right, body.bottom),
        (body.x, body.bottom),
    ]
    normals = [(0, -1), (1, 0), (0, 1), (-1, 0)]
    for i, ((x0, y0), (x1, y1)) in enumerate(zip(corners, corners[1:] + corners[:1], strict=True)):
        nx, ny = normals[i]
        length = math.hypot(x1 - x0, y1 - y0)
        count = max(2, round(length / 22)) * 2
        for j in range(count):
            t = (j + 0.5) / count
            out = spike if j % 2 else spike * 0.2
            points.append((x0 + (x1 - x0) * t + nx * out, y0 + (y1 - y0) * t + ny * out))
        # the corner itself: a diagonal spike
        dx = 1 if x1 >= body.x + body.width / 2 else -1
        dy = 1 if y1 >= body.y + body.height / 2 else -1
        points.append((x1 + dx * spike * 0.7, y1 + dy * spike * 0.7))
    return points


def draw_balloon(parent: ET.Element, b: Balloon) -> ET.Element:
    g = el(parent, "g", class_=f"balloon {b.kind}")
    body, base = b.body, b.tail_base()
    if b.kind in ("caption", "location"):
        fill = CAPTION_FILL if b.kind == "caption" else INK
        _rounded(g, body, 0, fill=fill, stroke=INK, stroke_width=STROKE, class_="body")
        box = b.text_box
        text_lines(
            g, b.block, box.x, box.y, anchor="start", fill=INK if b.kind == "caption" else PAPER
        )
        return g
    stroke = {"stroke": INK, "stroke_width": STROKE}
    if b.kind == "whisper":
        stroke["stroke_dasharray"] = "7 5"
    if b.kind == "thought":
        circles = _cloud(body, MARGIN["thought"])
        for cx, cy, r in circles:
            el(g, "circle", cx=cx, cy=cy, r=r, fill=PAPER, **stroke)
        if base is not None:  # bubbles shrinking towards the thinker
            (ax, ay), (bx, by), (tx, ty) = base
            sx, sy = (ax + bx) / 2, (ay + by) / 2 + MARGIN["thought"]
            for t, r in ((0.25, 6.0), (0.62, 4.2), (1.0, 2.8)):
                el(
                    g,
                    "circle",
                    cx=sx + (tx - sx) * t,
                    cy=sy + (ty - sy) * t,
                    r=r,
                    fill=PAPER,
                    **stroke,
                )
        for cx, cy, r in circles:
            el(g, "circle", cx=cx, cy=cy, r=r - STROKE / 2, fill=PAPER)
        _rounded(g, body, 0, fill=PAPER, class_="body")
    elif b.kind == "shout":
        outline = path_d(_burst(body, MARGIN["shout"]))
        el(g, "path", d=outline, fill=PAPER, **stroke)
        if base is not None:
            el(g, "path", d=path_d(base), fill=PAPER, **stroke)
            el(g, "path", d=path_d(base), fill=PAPER)
        el(g, "path", d=outline, fill=PAPER)
        _rounded(g, body, 0, fill=PAPER, class_="body")
    else:  # speech and whisper
        _rounded(g, body, b.corner, fill=PAPER, class_="body", **stroke)
        if base is not None:
            el(g, "path", d=_tail_d(base), fill=PAPER, **stroke)
        inner = Rect(
            body.x + STROKE / 2, body.y + STROKE / 2, body.width - STROKE, body.height - STROKE
        )
        _rounded(g, inner, max(b.corner - STROKE / 2, 0), fill=PAPER)
        if base is not None:
            el(g, "path", d=_tail_d(base), fill=PAPER)
    box = b.text_box
    text_lines(g, b.block, box.x + box.width / 2, box.y)
    return g
