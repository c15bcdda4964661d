"""Whole pages as SVG: comic pages from the layout solver's rects, and the episode's title
page (series title, episode number and title, summary, the cast)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from atelier.agents.scriptwriter import EpisodeScript, PanelScript, SeriesBible
from atelier.kernel.geometry import Page, PageSpec, PlacedPanel
from atelier.pictures import text as T
from atelier.pictures.art import (
    DRAWN,
    CharacterArt,
    ImageProvider,
    PanelArt,
    PanelArtRequest,
    art_or_drawn,
)
from atelier.pictures.balloons import Balloon
from atelier.pictures.figures import HEIGHT, UNKNOWN, FigureStyle, draw_figure
from atelier.pictures.panel import (
    Line,
    Setup,
    draw_panel,
    fit_lines,
    letter,
    own_lines,
    setup_panel,
    split_lines,
)
from atelier.pictures.svg import INK, PAPER, el, svg_root, text_lines

TONE_COLOURS = {
    "adventure": "#d9822b",
    "comedy": "#e0b51f",
    "mystery": "#3d3b8e",
    "drama": "#8e3b46",
    "fantasy": "#6a4c93",
    "science fiction": "#1d4e89",
    "slice of life": "#5b8e55",
    "spooky": "#2b2d42",
}


@dataclass(frozen=True)
class SceneInfo:
    setting: str
    first_in_scene: bool
    scene: int = 0  # the scene's index in the episode


def scene_index(script: EpisodeScript) -> dict[str, tuple[PanelScript, SceneInfo]]:
    """Each panel by its layout id (str(number)) with its scene's setting."""
    out = {}
    for s, scene in enumerate(script.scenes):
        for i, panel in enumerate(scene.panels):
            out[str(panel.number)] = (panel, SceneInfo(scene.setting, i == 0, s))
    return out


def _footer(root: ET.Element, spec: PageSpec, left: str, number: str) -> None:
    y = spec.height - spec.margin / 2 - 8
    fonts = T.sizes(14, 10)
    block = T.fit(number, spec.width * 0.2, spec.margin * 0.8, fonts, bold=True)
    text_lines(root, block, spec.width / 2, y - block.height / 2 + 8)
    running = T.fit(left, spec.width / 2 - spec.margin - 60, spec.margin * 0.6, fonts)
    if running.lines:  # a one-line running title; its full text is on the title page
        running = T.Block(running.lines[:1], running.size, running.bold, running.truncated)
        text_lines(
            root, running, spec.margin, y - running.height / 2 + 8, anchor="start", fill="#555555"
        )


def page_svg(
    page: Page,
    panels: Mapping[str, tuple[PanelScript, SceneInfo]],
    styles: Mapping[str, FigureStyle],
    *,
    running_title: str,
    findings: list[str],
    art: ImageProvider = DRAWN,
    cast: Mapping[str, CharacterArt] | None = None,
    used: list[PanelArt] | None = None,
) -> tuple[ET.Element, list[tuple[str, list[Balloon]]]]:
    """The page's SVG tree and, per panel id, the balloons drawn in it.

    Panels are drawn in reading order, each one's art from ``art`` (the drawn staging if it
    fails). Words that do not fit a panel even at the smallest size continue in the next
    panel of the page if it is in the same scene and takes them whole (with its own words);
    otherwise they are cut. ``cast``: each character's words and palette for the art (from
    ``styles`` alone if None); ``used`` collects the art placed."""
    spec = page.spec
    root = svg_root(spec.width, spec.height, f"{running_title}, page {page.number}")
    ordered = sorted(page.panels, key=lambda p: p.order)
    following = {a.panel_id: b for a, b in itertools.pairwise(ordered)}
    carried: dict[str, list[Line]] = {}
    drawn = []
    for placed in ordered:
        where = f"page {page.number}, panel {placed.panel_id}"
        clip_id = f"clip-{page.number}-{placed.order + 1}"
        if placed.panel_id not in panels:
            findings.append(f"{where}: no such panel in the script; left empty")
            r = placed.rect
            el(
                root,
                "rect",
                x=r.x,
                y=r.y,
                width=r.width,
                height=r.height,
                fill="none",
                stroke=INK,
                stroke_width=4,
                class_="border",
            )
            drawn.append((placed.panel_id, []))
            continue
        script, scene = panels[placed.panel_id]
        incoming = carried.pop(placed.panel_id, [])
        setup = setup_panel(
            placed,
            script,
            setting=scene.setting,
            first_in_scene=scene.first_in_scene,
            styles=styles,
            carried=incoming,
            where=where,
            findings=findings,
        )
        lines = [*incoming, *own_lines(script)]
        if fit_lines(lines, setup) is None:
            nxt = following.get(placed.panel_id)
            split = _carry(lines, setup, placed.panel_id, scene, nxt, panels, styles)
            if split is not None and nxt is not None:
                lines, carried[nxt.panel_id] = split
                moved = sum(len(T.clean(line.text).split(" ")) for line in split[1])
                findings.append(
                    f"{where}: too many words for the panel; the last {moved} continue in "
                    f"panel {nxt.panel_id}"
                )
        balloons = letter(lines, setup, where, findings)
        for missing in dict.fromkeys(
            d.speaker for d in script.dialogue if d.speaker not in script.characters
        ):
            findings.append(
                f"{where}: {missing!r} speaks but is not drawn in the panel; "
                "the tail points off-panel"
            )
        request = _art_request(script, scene, setup, styles, cast)
        picture = art_or_drawn(art, request, where, findings)
        if used is not None:
            used.append(picture)
        drawn.append((placed.panel_id, draw_panel(root, setup, picture, balloons, clip_id=clip_id)))
    _footer(root, spec, running_title, str(page.number))
    return root, drawn


def _carry(
    lines: list[Line],
    setup: Setup,
    panel_id: str,
    scene: SceneInfo,
    nxt: PlacedPanel | None,
    panels: Mapping[str, tuple[PanelScript, SceneInfo]],
    styles: Mapping[str, FigureStyle],
) -> tuple[list[Line], list[Line]] | None:
    """``lines`` split between this panel and the next, if the next panel on the page is in
    the same scene and takes the rest whole together with its own words."""
    if nxt is None or nxt.panel_id not in panels:
        return None
    next_script, next_scene = panels[nxt.panel_id]
    if next_scene.scene != scene.scene:
        return None
    split = split_lines(lines, setup, panel_id)
    if split is None:
        return None
    rest = split[1]
    next_setup = setup_panel(
        nxt,
        next_script,
        setting=next_scene.setting,
        first_in_scene=next_scene.first_in_scene,
        styles=styles,
        carried=rest,
        where="",
        findings=[],  # its captions are reported when it is drawn
    )
    if fit_lines([*rest, *own_lines(next_script)], next_setup) is None:
        return None
    return split


def _art_request(
    script: PanelScript,
    scene: SceneInfo,
    setup: Setup,
    styles: Mapping[str, FigureStyle],
    cast: Mapping[str, CharacterArt] | None,
) -> PanelArtRequest:
    people = []
    for cid in setup.cast:
        known = cast.get(cid) if cast is not None else None
        people.append(known or CharacterArt(cid, cid, "", styles.get(cid, UNKNOWN)))
    return PanelArtRequest.make(
        panel=script.number,
        width=setup.rect.width,
        height=setup.rect.height,
        shot=script.shot,
        mood=script.mood,
        action=script.action,
        setting=scene.setting,
        characters=tuple(people),
        lettering=setup.lettering,
    )


def title_svg(
    script: EpisodeScript,
    bible: SeriesBible,
    styles: Mapping[str, FigureStyle],
    spec: PageSpec,
    *,
    series_title: str,
    findings: list[str],
) -> ET.Element:
    w, h, m = spec.width, spec.height, spec.margin
    root = svg_root(w, h, f"{series_title}, episode {script.number}: {script.title}")
    band_h = h * 0.36
    colour = TONE_COLOURS.get(bible.tone, INK)
    el(root, "rect", x=0, y=0, width=w, height=band_h, fill=colour)
    el(root, "rect", x=0, y=band_h - 10, width=w, height=10, fill=INK)
    inner = w - 2 * m

    def block(text: str, fonts: list[float], max_h: float, what: str, bold: bool) -> T.Block:
        b = T.fit(text, inner, max_h, fonts, bold=bold, aspect=None)
        if b.truncated:
            findings.append(f"title page: the {what} was cut to fit: {T.clean(text)[:60]!r}")
        return b

    title = block(series_title, T.sizes(84, 40), band_h * 0.62, "series title", True)
    text_lines(root, title, w / 2, (band_h - title.height) / 2 - 10, fill=PAPER)
    logline = block(bible.logline, T.sizes(22, 16), band_h * 0.22, "logline", False)
    text_lines(root, logline, w / 2, band_h - 24 - logline.height, fill=PAPER)

    y = band_h + 50
    episode = T.fit(f"Episode {script.number}", inner, 60, [30], bold=False)
    text_lines(root, episode, w / 2, y, fill="#555555")
    y += episode.height + 10
    ep_title = block(script.title, T.sizes(52, 28), h * 0.14, "episode title", True)
    text_lines(root, ep_title, w / 2, y)
    y += ep_title.height + 30
    el(root, "path", d=f"M{w / 2 - 60:.2f} {y:.2f}h120", stroke=colour, stroke_width=4)
    y += 30
    summary = block(script.summary, T.sizes(26, 16), h * 0.2, "summary", False)
    text_lines(root, summary, w / 2, y)
    _cast(root, bible, styles, spec, top=max(y + summary.height + 40, h * 0.7))
    return root


def _cast(
    root: ET.Element,
    bible: SeriesBible,
    styles: Mapping[str, FigureStyle],
    spec: PageSpec,
    top: float,
) -> None:
    """The cast in a row along the bottom, names under their feet."""
    people = bible.characters
    w, m = spec.width, spec.margin
    bottom = spec.height - m - 40
    column = (w - 2 * m) / len(people)
    scale = min((bottom - top) / HEIGHT, 0.8 * column / 100)
    for i, c in enumerate(people):
        x = m + column * (i + 0.5)
        style: FigureStyle = styles.get(c.id, UNKNOWN)
        feet = bottom - 4
        draw_figure(
            root,
            style,
            "happy",
            x=x,
            top=feet - HEIGHT * scale * style.height,
            scale=scale,
            facing=0,
        )
        name = T.fit(c.name, column - 8, 40, T.sizes(20, 12), bold=True)
        text_lines(root, name, x, bottom + 6)
