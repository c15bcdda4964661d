"""Character sheets: the figure, the palette (each swatch labelled with its use and hex),
name and role, the bible's look and personality, the designer's appearance, silhouette and
costume, and a row of the sheet's expressions."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from atelier.agents.designer import CharacterSheet
from atelier.agents.scriptwriter import BibleCharacter, Mood
from atelier.kernel.geometry import Rect
from atelier.pictures import text as T
from atelier.pictures.figures import HEAD_R, HEAD_Y, HEIGHT, FigureStyle, draw_figure
from atelier.pictures.output import write_png
from atelier.pictures.svg import INK, PAPER, el, resize, svg_root, text_lines, to_bytes

WIDTH, MAX_HEIGHT, M = 1000.0, 1500.0, 40.0
BODY_SIZES = T.sizes(19, 12)
MUTED = "#555555"
PANEL_FILL = "#eef2f6"


def _box(parent: ET.Element, r: Rect, fill: str = PANEL_FILL) -> None:
    el(
        parent,
        "rect",
        x=r.x,
        y=r.y,
        width=r.width,
        height=r.height,
        rx=12,
        fill=fill,
        stroke=INK,
        stroke_width=2,
    )


def _heading(parent: ET.Element, label: str, x: float, y: float) -> float:
    block = T.Block((label,), 18, True)
    text_lines(parent, block, x, y, anchor="start", fill=MUTED)
    return y + block.height + 2


def _sections(
    parent: ET.Element, sections: list[tuple[str, str]], area: Rect, findings: list[str]
) -> float:
    """Headed paragraphs stacked from the top of ``area``, all at the largest size at which
    every one fits; failing that each is cut to a share of the room in proportion to its
    length. Returns the bottom of the last paragraph."""
    heading_h = 18 * T.LINE_HEIGHT + 2
    gap = 14.0
    room = area.height - len(sections) * (heading_h + gap)
    blocks: list[T.Block] = []
    for size in BODY_SIZES:
        blocks = [T.fit(text, area.width, room, [size]) for _, text in sections]
        if not any(b.truncated for b in blocks) and sum(b.height for b in blocks) <= room:
            break
    else:
        total = sum(len(text) for _, text in sections) or 1
        blocks = [
            T.fit(text, area.width, room * len(text) / total, BODY_SIZES) for _, text in sections
        ]
    y = area.y
    for (label, text), block in zip(sections, blocks, strict=True):
        y = _heading(parent, label, area.x, y)
        text_lines(parent, block, area.x, y, anchor="start")
        if block.truncated:
            findings.append(f"sheet: {label.lower()} was cut to fit: {T.clean(text)[:60]!r}")
        y += block.height + gap
    return y - gap


def _expression(
    parent: ET.Element, style: FigureStyle, mood: Mood, box: Rect, clip_id: str
) -> None:
    """A head-and-shoulders portrait with the mood's name under it."""
    label_h = 34.0
    _box(parent, box, PAPER)
    clip = el(parent, "clipPath", id=clip_id)
    el(clip, "rect", x=box.x, y=box.y, width=box.width, height=box.height - label_h)
    g = el(parent, "g", clip_path=f"url(#{clip_id})")
    s = box.width * 0.46 / (2 * HEAD_R)  # the head about half the box wide
    top = box.y + (box.height - label_h) * 0.56 - HEAD_Y * s
    draw_figure(g, style, mood, x=box.x + box.width / 2, top=top, scale=s / style.height)
    el(
        parent,
        "path",
        d=f"M{box.x:.2f} {box.bottom - label_h:.2f}h{box.width:.2f}",
        stroke=INK,
        stroke_width=2,
    )
    label = T.fit(mood, box.width - 8, label_h, T.sizes(18, 12), bold=True)
    text_lines(
        parent, label, box.x + box.width / 2, box.bottom - label_h + (label_h - label.height) / 2
    )


def sheet_svg(
    sheet: CharacterSheet, character: BibleCharacter, findings: list[str] | None = None
) -> ET.Element:
    findings = findings if findings is not None else []
    style = FigureStyle.from_sheet(sheet, character.look)
    root = svg_root(WIDTH, MAX_HEIGHT, f"Character sheet: {sheet.name}")
    # header: name, role and id on an ink band with the accent as a stripe
    el(root, "rect", x=0, y=0, width=WIDTH, height=130, fill=INK)
    el(root, "rect", x=0, y=130, width=WIDTH, height=8, fill=sheet.palette.accent)
    name = T.fit(sheet.name, WIDTH - 2 * M, 70, T.sizes(52, 26), bold=True)
    text_lines(root, name, M, 22, anchor="start", fill=PAPER)
    sub = T.fit(f"{character.role} · {sheet.character_id}", WIDTH - 2 * M, 30, [20])
    text_lines(root, sub, M, 22 + name.height + 6, anchor="start", fill="#c9c9d1")

    figure_box = Rect(M, 170, 360, 540)
    _box(root, figure_box)
    # the figure frame reaches about 24 units above y=0 (hats, buns, spikes)
    s = min((figure_box.height - 50) / (HEIGHT + 24), (figure_box.width - 40) / 110)
    draw_figure(
        root,
        style,
        "neutral",
        x=figure_box.x + figure_box.width / 2,
        top=figure_box.bottom - 25 - HEIGHT * s,
        scale=s / style.height,
    )

    right = Rect(figure_box.right + 40, 170, WIDTH - M - figure_box.right - 40, 540)
    y = _heading(root, "Palette", right.x, right.y)
    for i, (usage, colour) in enumerate(sheet.palette.swatches()):
        sx = right.x + (i % 2) * right.width / 2
        sy = y + 8 + (i // 2) * 86
        el(
            root,
            "rect",
            x=sx,
            y=sy,
            width=70,
            height=70,
            rx=8,
            fill=colour,
            stroke=INK,
            stroke_width=2,
            class_="swatch",
        )
        text_lines(root, T.Block((usage,), 20, True), sx + 84, sy + 8, anchor="start")
        text_lines(
            root,
            T.Block((colour.lower(),), 18, False),
            sx + 84,
            sy + 38,
            anchor="start",
            fill=MUTED,
        )
    text_top = y + 8 + 2 * 86 + 16
    _sections(
        root,
        [("Look", character.look), ("Personality", character.personality)],
        Rect(right.x, text_top, right.width, right.bottom - text_top),
        findings,
    )

    lower = Rect(M, figure_box.bottom + 30, WIDTH - 2 * M, 420)
    y = _sections(
        root,
        [
            ("Appearance", sheet.appearance),
            ("Silhouette", sheet.silhouette),
            ("Costume", sheet.costume),
        ],
        lower,
        findings,
    )

    y = _heading(root, "Expressions", M, y + 24)
    moods = list(sheet.expressions)
    gap = 16.0
    size = min(150.0, (WIDTH - 2 * M - gap * (len(moods) - 1)) / len(moods))
    for i, mood in enumerate(moods):
        box = Rect(M + i * (size + gap), y + 8, size, size * 1.15)
        _expression(root, style, mood, box, f"expression-{i + 1}")
    resize(root, WIDTH, math.ceil(y + 8 + size * 1.15 + M))  # as tall as its content
    return root


def _safe_stem(character_id: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", character_id.lower()) or "character"


def render_sheet(
    sheet: CharacterSheet, character: BibleCharacter, out_dir: Path
) -> tuple[Path, Path]:
    """Write ``sheet-<id>.svg`` and ``.png`` to ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = to_bytes(sheet_svg(sheet, character))
    stem = f"sheet-{_safe_stem(sheet.character_id)}"
    svg_path = out_dir / f"{stem}.svg"
    if not (svg_path.is_file() and svg_path.read_bytes() == data):
        svg_path.write_bytes(data)
    return svg_path, write_png(data, out_dir / f"{stem}.png")
