"""Hand-built inputs for atelier.pictures (a series bible, character sheets, an episode
script and its layout) and readers that parse a rendered page's SVG back and check its
structure: everything inside what holds it, balloons never covering each other."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

from atelier.agents.designer import CharacterSheet, Palette
from atelier.agents.layout_solver import PanelRequest, solve_layout
from atelier.agents.scriptwriter import (
    BibleCharacter,
    DialogueLine,
    EpisodeScript,
    PanelScript,
    Scene,
    SeriesBible,
)
from atelier.kernel.geometry import Page, Rect
from atelier.pictures import text as T
from atelier.pictures.balloons import MARGIN

NS = "{http://www.w3.org/2000/svg}"
EPS = 0.011  # the SVG holds numbers to two decimals


# -- inputs, built by hand --------------------------------------------------------------------
def make_bible(**changes: object) -> SeriesBible:
    fields: dict[str, object] = dict(
        title="The Lighthouse Keepers",
        logline="Two siblings keep the last lighthouse on a haunted coast.",
        tone="mystery",
        world="A windswept coast where the sea keeps secrets.",
        arc="They learn what the light at sea is.",
        characters=[
            BibleCharacter(
                id="mara",
                name="Mara",
                role="protagonist",
                look="a tall girl with long red hair and a raincoat",
                personality="brave, curious",
            ),
            BibleCharacter(
                id="tom",
                name="Old Tom",
                role="mentor",
                look="a stout old man with a white beard and glasses",
                personality="gruff, kind",
            ),
            BibleCharacter(
                id="pip",
                name="Pip",
                role="sidekick",
                look="a small boy with spiky black hair",
                personality="cheeky",
            ),
        ],
    )
    fields.update(changes)
    return SeriesBible.model_validate(fields)


def make_sheets() -> dict[str, CharacterSheet]:
    def sheet(
        cid: str, name: str, skin: str, hair: str, outfit: str, accent: str, appearance: str
    ) -> CharacterSheet:
        return CharacterSheet(
            character_id=cid,
            name=name,
            appearance=appearance,
            silhouette="recognisable",
            costume="everyday clothes",
            palette=Palette(skin=skin, hair=hair, outfit=outfit, accent=accent),
            expressions=["neutral", "happy", "surprised"],
        )

    return {
        "mara": sheet(
            "mara",
            "Mara",
            "#f2c9a0",
            "#b8412c",
            "#f2c12e",
            "#2e7d4f",
            "tall girl, long red hair in a ponytail",
        ),
        "tom": sheet(
            "tom",
            "Old Tom",
            "#d9a27a",
            "#eeeeee",
            "#23395b",
            "#b23a48",
            "stout old man, white beard, round glasses",
        ),
        "pip": sheet(
            "pip", "Pip", "#8d5524", "#1a1a1a", "#3f88c5", "#f49d37", "small boy, spiky black hair"
        ),
    }


def line(speaker: str, text: str, style: str = "speech") -> DialogueLine:
    return DialogueLine.model_validate({"speaker": speaker, "text": text, "style": style})


def panel(
    number: int,
    shot: str,
    characters: list[str],
    dialogue: list[DialogueLine],
    caption: str = "",
    mood: str = "neutral",
) -> PanelScript:
    return PanelScript.model_validate(
        dict(
            number=number,
            shot=shot,
            action="They look out to sea.",
            characters=characters,
            mood=mood,
            dialogue=dialogue,
            caption=caption,
        )
    )


def episode_script(
    title: str = "A Light Past the Rocks",
    summary: str | None = None,
    setting: str = "The lighthouse gallery at dusk",
    caption: str = "The night the sea began to glow.",
    words: str = "Pip! Do you see that light out past the rocks?",
) -> EpisodeScript:
    first = Scene(
        setting=setting,
        beat="Mara spots a light.",
        panels=(
            panel(
                1,
                "wide",
                ["mara", "pip"],
                [line("mara", words), line("pip", "It's just a boat. Probably.")],
                caption=caption,
            ),
            panel(
                2,
                "close",
                ["mara"],
                [line("mara", "That's no boat...", "thought")],
                mood="surprised",
            ),
            panel(
                3,
                "medium",
                ["mara", "pip"],
                [
                    line("pip", "MARA, IT'S COMING CLOSER!", "shout"),
                    line("mara", "Quiet. Get Tom.", "whisper"),
                ],
                mood="scared",
            ),
        ),
    )
    second = Scene(
        setting="Tom's kitchen, warm and cluttered",
        beat="Tom remembers.",
        panels=(
            panel(4, "medium", ["tom", "mara", "pip"], [line("tom", "Sit down, both of you.")]),
            panel(
                5,
                "close",
                ["tom"],
                [line("tom", "Some lights are not meant to be followed.")],
                mood="sad",
            ),
            panel(
                6,
                "wide",
                ["tom", "mara", "pip"],
                [
                    line("mara", "Then we follow it anyway."),
                    line("pip", "We?!"),
                    line("tom", "Hmph. I'll get my coat."),
                ],
                mood="determined",
            ),
        ),
    )
    return EpisodeScript(
        number=1,
        title=title,
        scenes=(first, second),
        summary=summary or "Mara and Pip see a glow at sea; Old Tom knows it.",
    )


def layout(script: EpisodeScript, seed: int | None = None) -> list[Page]:
    rng = random.Random(seed)
    requests = []
    for p in script.panels:
        emphasis = (
            rng.choice(["small", "normal", "normal", "large"])
            if seed is not None
            else ("large" if p.shot == "wide" else "normal")
        )
        requests.append(
            PanelRequest(
                str(p.number), emphasis, p.shot, break_before=seed is None and p.number == 4
            )
        )
    return solve_layout(requests)


# -- reading the SVG back ---------------------------------------------------------------------
def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # raises on anything that is not well-formed XML


def fnum(node: ET.Element, name: str) -> float:
    return float(node.get(name, "0"))


def rect_of(node: ET.Element) -> Rect:
    return Rect(fnum(node, "x"), fnum(node, "y"), fnum(node, "width"), fnum(node, "height"))


def classes(node: ET.Element) -> list[str]:
    return node.get("class", "").split()


def points(group: ET.Element) -> list[tuple[float, float]]:
    """The extreme points of every shape in ``group`` (paths: their absolute coordinates)."""
    out: list[tuple[float, float]] = []
    for node in group.iter():
        tag = node.tag.removeprefix(NS)
        if tag == "rect":
            r = rect_of(node)
            out += [(r.x, r.y), (r.right, r.bottom)]
        elif tag == "circle":
            cx, cy, r = fnum(node, "cx"), fnum(node, "cy"), fnum(node, "r")
            out += [(cx - r, cy - r), (cx + r, cy + r)]
        elif tag == "path":
            d = node.get("d", "")
            assert re.fullmatch(r"[MLQZ0-9.\s-]+", d), f"unexpected path commands: {d}"
            numbers = [float(n) for n in re.findall(r"-?[0-9.]+", d)]
            out += list(zip(numbers[::2], numbers[1::2], strict=True))
    return out


def line_box(node: ET.Element) -> Rect:
    """A drawn line of text's extent, by the renderer's own measure."""
    size = fnum(node, "font-size")
    width = T.text_width(node.text or "", size, node.get("font-weight") == "bold")
    x = fnum(node, "x")
    left = x - width / 2 if node.get("text-anchor") == "middle" else x
    top = fnum(node, "y") - T.ASCENT * size
    return Rect(left, top, width, (T.ASCENT + T.DESCENT) * size)


def inside_rounded(r: Rect, body: Rect, radius: float) -> bool:
    if not r.inside(body, tol=EPS):
        return False
    for px, py in ((r.x, r.y), (r.right, r.y), (r.x, r.bottom), (r.right, r.bottom)):
        cx = min(max(px, body.x + radius), body.right - radius)
        cy = min(max(py, body.y + radius), body.bottom - radius)
        if (px - cx) ** 2 + (py - cy) ** 2 > radius**2 + EPS:
            return False
    return True


def check_page(root: ET.Element, page: Page) -> list[dict[str, object]]:
    """Assert the page's structure; return its balloons as dicts for further checks."""
    spec = page.spec
    assert (fnum(root, "width"), fnum(root, "height")) == (spec.width, spec.height)
    panels = [g for g in root.iter(f"{NS}g") if "panel" in classes(g)]
    assert len(panels) == len(page.panels)
    found = []
    for g, placed in zip(panels, page.panels, strict=True):
        border = next(r for r in g.iter(f"{NS}rect") if "border" in classes(r))
        frame = rect_of(border)
        assert all(
            abs(a - b) <= EPS
            for a, b in zip(
                (frame.x, frame.y, frame.width, frame.height),
                (placed.rect.x, placed.rect.y, placed.rect.width, placed.rect.height),
                strict=True,
            )
        )
        assert frame.inside(page.content_rect, tol=EPS)
        bodies = []
        for b in (x for x in g.iter(f"{NS}g") if "balloon" in classes(x)):
            kind = classes(b)[1]
            for px, py in points(b):
                assert frame.x - EPS <= px <= frame.right + EPS, (kind, px, frame)
                assert frame.y - EPS <= py <= frame.bottom + EPS, (kind, py, frame)
            body_node = next(r for r in b.iter(f"{NS}rect") if "body" in classes(r))
            body = rect_of(body_node)
            radius = fnum(body_node, "rx")
            lines = [t for t in b.iter(f"{NS}text")]
            assert lines, "a balloon without text is not drawn"
            for t in lines:
                assert inside_rounded(line_box(t), body, radius), (kind, t.text, body)
            outer = (
                body
                if kind not in MARGIN
                else Rect(
                    body.x - MARGIN[kind],
                    body.y - MARGIN[kind],
                    body.width + 2 * MARGIN[kind],
                    body.height + 2 * MARGIN[kind],
                )
            )
            bodies.append(outer)
            found.append(
                {
                    "kind": kind,
                    "body": body,
                    "lines": [t.text for t in lines],
                    "panel": placed.panel_id,
                }
            )
        for i, a in enumerate(bodies):  # balloons and captions never cover each other
            for other in bodies[i + 1 :]:
                assert not a.overlaps(other, tol=0.5), (a, other)
    assert any(t.text == str(page.number) for t in root.iter(f"{NS}text"))
    return found
