"""Plain palette-coloured figures: head, hair, body, face by mood.

No image model runs offline, so a character is drawn as a simple figure in its sheet's
palette (skin, hair, outfit, accent), with a few features read from the sheet's words (hair
style, build, hat, glasses, beard, long coat) so that characters stay tell-apart-able from
panel to panel. A figure is drawn in its own frame, 200 units tall (head top at y=0, feet at
y=200, centred on x=0), and placed with a transform; strokes are sized for the page.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Literal

from atelier.agents.designer import CharacterSheet
from atelier.agents.scriptwriter import Mood
from atelier.pictures.svg import INK, el, path_d

HEIGHT = 200.0  # the figure's own frame
HEAD_Y, HEAD_R = 30.0, 26.0  # head centre and radius in the frame
HairStyle = Literal["short", "long", "spiky", "bun", "bald", "curly"]

_HAIR_WORDS: list[tuple[HairStyle, tuple[str, ...]]] = [
    ("bald", ("bald", "shaved head", "shaven head")),
    ("bun", ("bun", "topknot", "top knot")),
    ("long", ("long hair", "ponytail", "braid", "plait", "flowing hair", "shoulder-length")),
    ("spiky", ("spiky", "spiked", "mohawk", "messy hair", "wild hair", "unruly")),
    ("curly", ("curly", "curls", "afro", "frizzy")),
    ("short", ("short hair", "crew cut", "buzz cut", "cropped")),
]


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def shade(hex_colour: str, factor: float) -> str:
    """``hex_colour`` darkened (factor < 1) or lightened towards white (factor > 1)."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor <= 1:
        rgb = [round(c * factor) for c in rgb]
    else:
        rgb = [round(c + (255 - c) * (factor - 1)) for c in rgb]
    return "#" + "".join(f"{min(max(c, 0), 255):02x}" for c in rgb)


@dataclass(frozen=True)
class FigureStyle:
    skin: str
    hair: str
    outfit: str
    accent: str
    hair_style: HairStyle = "short"
    height: float = 1.0  # relative to an average figure
    build: float = 1.0  # body width factor
    hat: bool = False
    glasses: bool = False
    beard: bool = False
    long_coat: bool = False

    @property
    def crown(self) -> float:
        """How far hair or a hat rises above the head, in figure units."""
        if self.hat:
            return 20.0
        return {"bun": 18.0, "spiky": 14.0, "curly": 6.0, "bald": 0.0}.get(self.hair_style, 5.0)

    @classmethod
    def from_sheet(cls, sheet: CharacterSheet, extra: str = "") -> FigureStyle:
        words = " ".join([sheet.appearance, sheet.silhouette, sheet.costume, extra]).lower()
        hair_style: HairStyle | None = next(
            (style for style, keys in _HAIR_WORDS if _has(words, keys)), None
        )
        if hair_style is None:  # no word for it: a stable pick per character
            digest = hashlib.sha256(sheet.character_id.encode()).digest()
            hair_style = ("short", "long", "spiky", "curly", "bun")[digest[0] % 5]
        p = sheet.palette
        return cls(
            skin=p.skin,
            hair=p.hair,
            outfit=p.outfit,
            accent=p.accent,
            hair_style=hair_style,
            height=1.12
            if _has(words, ("tall", "lanky", "towering", "giant"))
            else 0.82
            if _has(words, ("short", "small", "tiny", "child", "kid", "little"))
            else 1.0,
            build=1.3
            if _has(words, ("round", "stout", "broad", "stocky", "burly", "big"))
            else 0.85
            if _has(words, ("thin", "slim", "slender", "wiry", "lanky"))
            else 1.0,
            hat=_has(words, ("hat", "cap", "helmet", "hood", "beret", "bonnet")),
            glasses=_has(words, ("glasses", "spectacles", "goggles", "monocle")),
            beard=_has(words, ("beard", "bearded", "moustache", "mustache")),
            long_coat=_has(words, ("coat", "cloak", "robe", "dress", "gown", "cape", "apron")),
        )


UNKNOWN = FigureStyle(
    skin="#d9d9d9", hair="#8c8c8c", outfit="#a6a6a6", accent="#737373", hair_style="bald"
)


def _outline(scale: float) -> float:
    """Line width in figure units giving 1.2..3.5 page units, whatever the scale."""
    return min(3.5, max(1.2, 2.2 * scale)) / scale


def draw_figure(
    parent: ET.Element,
    style: FigureStyle,
    mood: Mood,
    *,
    x: float,
    top: float,
    scale: float,
    facing: float = 0.0,
) -> ET.Element:
    """The figure with its head top at (x, top), ``scale`` page units per figure unit;
    ``facing`` in -1..1 turns the eyes left or right."""
    s = scale * style.height
    g = el(parent, "g", transform=f"translate({x:.2f} {top:.2f}) scale({s:.4f})")
    line = _outline(s)
    g.set("stroke", INK)
    g.set("stroke-width", f"{line:.3f}")
    g.set("stroke-linejoin", "round")
    g.set("stroke-linecap", "round")
    _body(g, style, line)
    _head(g, style)
    draw_face(g, mood, facing=facing, line=min(4.0, max(0.9, 1.8 * s)) / s)
    if style.glasses:
        for ex in (-9.0, 9.0):
            el(g, "circle", cx=ex + 3 * facing, cy=HEAD_Y, r=6.5, fill="none")
        el(g, "path", d=f"M{-2.5 + 3 * facing:.2f} {HEAD_Y}h5", fill="none")
    if style.hat:
        _hat(g, style)
    return g


def _body(g: ET.Element, st: FigureStyle, line: float) -> None:
    w = 30.0 * st.build  # half the shoulder width
    trousers = shade(st.outfit, 0.55)
    for side in (-1, 1):  # legs, then shoes
        el(
            g,
            "rect",
            x=side * 4 if side > 0 else -4 - 14 * st.build,
            y=126,
            rx=4,
            width=14 * st.build,
            height=66,
            fill=trousers,
        )
        el(g, "ellipse", cx=side * (11 * st.build + 3), cy=194, rx=11, ry=6, fill=INK)
    hem = 168.0 if st.long_coat else 132.0
    el(
        g,
        "path",
        fill=st.outfit,
        d=path_d(
            [
                (-w, 66),
                (-w * 0.55, 58),
                (w * 0.55, 58),
                (w, 66),
                (w * 0.85 + (8 if st.long_coat else 0), hem),
                (-w * 0.85 - (8 if st.long_coat else 0), hem),
            ]
        ),
    )
    el(g, "rect", x=-w * 0.82, y=118, width=w * 1.64, height=8, fill=st.accent)  # belt
    for side in (-1, 1):  # arms: an ink stroke under an outfit stroke reads as an outline
        arm = f"M{side * w * 0.92:.1f} 68L{side * (w + 8):.1f} 96L{side * (w + 6):.1f} 120"
        el(g, "path", d=arm, fill="none", stroke_width=12 + 2 * line)
        el(g, "path", d=arm, fill="none", stroke=st.outfit, stroke_width=12)
        el(g, "circle", cx=side * (w + 6), cy=124, r=6.5, fill=st.skin)
    el(g, "rect", x=-7, y=50, width=14, height=12, fill=st.skin)  # neck
    el(g, "path", d=path_d([(-13, 58), (0, 72), (13, 58)]), fill=st.accent)  # collar


def _head(g: ET.Element, st: FigureStyle) -> None:
    r, cy = HEAD_R, HEAD_Y
    hair = st.hair
    if st.hair_style == "long":  # falls behind the head to the shoulders
        el(
            g,
            "path",
            fill=hair,
            d=f"M{-r - 3} {cy}Q{-r - 6} {cy + 40} {-r + 2} {cy + 46}"
            f"L{r - 2} {cy + 46}Q{r + 6} {cy + 40} {r + 3} {cy}Z",
        )
    if st.hair_style == "bun":
        el(g, "circle", cx=0, cy=cy - r - 6, r=12, fill=hair)
    el(g, "circle", cx=0, cy=cy, r=r, fill=st.skin)
    for side in (-1, 1):
        el(g, "circle", cx=side * (r + 1), cy=cy + 3, r=5, fill=st.skin)  # ears
    if st.beard:
        el(
            g,
            "path",
            fill=hair,
            d=f"M{-r + 1} {cy + 4}Q{-r + 4} {cy + r + 10} 0 {cy + r + 12}"
            f"Q{r - 4} {cy + r + 10} {r - 1} {cy + 4}Q{r - 8} {cy + 18} 0 {cy + 17}"
            f"Q{-r + 8} {cy + 18} {-r + 1} {cy + 4}Z",
        )
    top = cy - r
    if st.hair_style == "bald":
        for side in (-1, 1):
            el(
                g,
                "path",
                fill=hair,
                d=f"M{side * (r - 1)} {cy - 8}Q{side * (r + 4)} {cy}"
                f" {side * (r - 2)} {cy + 6}Q{side * (r - 6)} {cy} {side * (r - 1)} {cy - 8}Z",
            )
        return
    if st.hair_style == "spiky":
        spikes = [
            (-r - 2, cy),
            (-r + 2, top + 2),
            (-r + 4, top - 10),
            (-8, top - 2),
            (-4, top - 14),
            (4, top - 2),
            (10, top - 12),
            (14, top),
            (r - 2, top - 6),
            (r - 2, top + 10),
            (r + 2, cy),
            (r - 4, cy - 8),
            (-r + 4, cy - 8),
        ]
        el(g, "path", fill=hair, d=path_d(spikes))
        return
    if st.hair_style == "curly":
        for i in range(7):
            cx = -r + 2 + i * (2 * r - 4) / 6
            cy_curl = top + 6 + abs(3 - i) * 4
            el(g, "circle", cx=cx, cy=cy_curl, r=10, fill=hair)
        el(
            g,
            "path",
            fill=hair,
            stroke="none",
            d=f"M{-r + 4} {cy - 6}Q0 {top - 4} {r - 4} {cy - 6}Z",
        )
        return
    # short, long and bun: a cap of hair with a side parting
    el(
        g,
        "path",
        fill=hair,
        d=f"M{-r - 2} {cy + 2}Q{-r - 3} {top - 6} 0 {top - 4}"
        f"Q{r + 3} {top - 6} {r + 2} {cy + 2}Q{r - 4} {cy - 10} {6} {cy - 13}"
        f"Q{-8} {cy - 4} {-r + 3} {cy - 4}Z",
    )


def _hat(g: ET.Element, st: FigureStyle) -> None:
    top = HEAD_Y - HEAD_R
    el(
        g,
        "path",
        fill=st.accent,
        d=f"M-20 {top + 8}L-16 {top - 16}Q0 {top - 22} 16 {top - 16}L20 {top + 8}Z",
    )
    el(g, "rect", x=-34, y=top + 4, width=68, height=8, rx=4, fill=shade(st.accent, 0.7))


def draw_face(g: ET.Element, mood: Mood, *, facing: float = 0.0, line: float = 2.0) -> None:
    """Eyes, brows and mouth for ``mood`` on the head at (0, HEAD_Y) of the figure frame."""
    f = el(g, "g", stroke=INK, stroke_width=line, fill="none")
    dx, ey, my = 3.0 * facing, HEAD_Y - 1, HEAD_Y + 11
    big = mood in ("surprised", "scared")
    for side in (-1, 1):
        ex = side * 9 + dx
        if mood == "laugh":  # closed, happy eyes
            el(f, "path", d=f"M{ex - 4:.1f} {ey + 1}Q{ex:.1f} {ey - 5} {ex + 4:.1f} {ey + 1}")
        elif mood == "determined":  # narrowed
            el(f, "path", d=f"M{ex - 4:.1f} {ey}h8")
            el(f, "circle", cx=ex, cy=ey + 2, r=1.6, fill=INK, stroke="none")
        else:
            el(
                f,
                "circle",
                cx=ex,
                cy=ey,
                r=4.5 if big else 2.6,
                fill="#ffffff" if big else INK,
                stroke=INK if big else "none",
                stroke_width=line * 0.7 if big else None,
            )
            if big:
                el(f, "circle", cx=ex + facing, cy=ey, r=1.8, fill=INK, stroke="none")
        brow = {  # (inner end dy, outer end dy) relative to the eye, per mood
            "angry": (-4, -10),
            "determined": (-5, -9),
            "sad": (-11, -6),
            "scared": (-12, -8),
            "surprised": (-12, -11),
            "thinking": (-10, -7),
            "confused": (-11 if side < 0 else -7, -12 if side < 0 else -7),
        }.get(mood)
        if brow:
            inner, outer = ex - side * 4, ex + side * 5
            el(f, "path", d=f"M{inner:.1f} {ey + brow[0]}L{outer:.1f} {ey + brow[1]}")
    mouth = {
        "neutral": f"M{dx - 6} {my}h12",
        "happy": f"M{dx - 8} {my - 2}Q{dx} {my + 7} {dx + 8} {my - 2}",
        "sad": f"M{dx - 7} {my + 3}Q{dx} {my - 4} {dx + 7} {my + 3}",
        "angry": f"M{dx - 7} {my + 3}Q{dx} {my - 3} {dx + 7} {my + 3}",
        "confused": f"M{dx - 7} {my + 1}Q{dx - 3} {my - 3} {dx} {my + 1}Q{dx + 3} {my + 4} "
        f"{dx + 7} {my - 1}",
        "determined": f"M{dx - 7} {my + 1}L{dx + 7} {my - 1}",
        "thinking": f"M{dx + 1} {my + 1}Q{dx + 5} {my - 1} {dx + 8} {my + 1}",
        "scared": f"M{dx - 7} {my + 1}l3.5 -2.5l3.5 2.5l3.5 -2.5l3.5 2.5",
    }.get(mood)
    if mood == "laugh":
        el(f, "path", fill="#7a1f2b", d=f"M{dx - 9} {my - 3}Q{dx} {my + 12} {dx + 9} {my - 3}Z")
    elif mood == "surprised":
        el(f, "ellipse", cx=dx, cy=my + 1, rx=4, ry=5, fill="#7a1f2b")
    elif mouth:
        el(f, "path", d=mouth)
