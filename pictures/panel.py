"""One panel: its art (clipped to the panel), border, caption boxes along the top, then
balloons in reading order with tails to their speakers.

Lettering is fitted, never overflowed: all balloons of a panel share one size, the largest
from ``LETTERING`` at which every line fits whole, first above the characters' heads, then
anywhere above the panel's bottom. When not even the smallest size holds them, the page
splits them (``split_lines``: the longest start that fits, in whole words, stays; the rest
continues in the next panel, see ``page.page_svg``); only when no panel can take the rest
are they cut with an ellipsis. Set more than ``SHRINK_NOTED`` below its largest size, cut,
or carried over, a text is reported as a finding for the review step.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from atelier.agents.scriptwriter import PanelScript
from atelier.kernel.geometry import PlacedPanel, Rect
from atelier.pictures import text as T
from atelier.pictures.art import PanelArt, place_art
from atelier.pictures.balloons import Balloon, Kind, draw_balloon, outer_size, text_room
from atelier.pictures.figures import UNKNOWN, FigureStyle
from atelier.pictures.staging import Placement, stage
from atelier.pictures.svg import INK, el

LETTERING = T.sizes(22, 14)  # balloon text, SVG units (a 1000-unit page: 22 ~ 10.5 pt print)
CAPTION = T.sizes(19, 13)
LOCATION = T.sizes(15, 11)
SHRINK_NOTED = 4  # a text set this much below its largest size is worth a finding
BORDER = 4.0
INSET = 10.0  # between the border and anything drawn inside it
GAP = 8.0  # between balloons
ASPECT = 2.4  # preferred balloon text width / height
TAIL_ROOM = 60.0  # room kept under balloons for their tails when there is plenty


@dataclass(frozen=True)
class Line:
    kind: Kind
    text: str
    speaker: str | None
    label: str  # for findings, e.g. "mara's line"
    carried: bool = False  # continued from the panel before


def own_lines(script: PanelScript) -> list[Line]:
    """The panel's dialogue with something to show, in reading order."""
    lines = [Line(d.style, d.text, d.speaker, f"{d.speaker}'s line") for d in script.dialogue]
    return [line for line in lines if T.clean(line.text)]


def _fit_one(line: Line, width: float, height: float, size: float) -> T.Block | None:
    """``line`` set whole at exactly ``size`` within an outer balloon box, or None."""
    tw, th = text_room(line.kind, width, height)
    if tw <= 0 or th <= 0:
        return None
    block = T.fit(line.text, tw, th, [size], bold=line.kind == "shout", aspect=ASPECT)
    return None if block.truncated else block


def _stack(
    lines: Sequence[Line], blocks: Sequence[T.Block], zone: Rect, xs: Sequence[float]
) -> list[Rect] | None:
    """Balloons one under another, each shifted towards its speaker."""
    sizes = [outer_size(line.kind, b) for line, b in zip(lines, blocks, strict=True)]
    if sum(h for _, h in sizes) + GAP * (len(sizes) - 1) > zone.height + 1e-6:
        return None
    rects, y = [], zone.y
    for (w, h), x in zip(sizes, xs, strict=True):
        left = min(max(x - w / 2, zone.x), zone.right - w)
        rects.append(Rect(left, y, w, h))
        y += h + GAP
    return rects


def _row(
    lines: Sequence[Line], blocks: Sequence[T.Block], zone: Rect, xs: Sequence[float]
) -> list[Rect] | None:
    """Balloons side by side in reading order, each in its own slot, stepping down a little
    so the order reads left to right and top to bottom."""
    slot = (zone.width - GAP * (len(lines) - 1)) / len(lines)
    rects = []
    for i, (line, b, x) in enumerate(zip(lines, blocks, xs, strict=True)):
        w, h = outer_size(line.kind, b)
        if w > slot + 1e-6 or h > zone.height + 1e-6:
            return None
        sx = zone.x + i * (slot + GAP)
        left = min(max(x - w / 2, sx), sx + slot - w)
        rects.append(Rect(left, zone.y + min(i * 14.0, zone.height - h), w, h))
    return rects


Arrange = Callable[[Sequence[Line], Sequence[T.Block], Rect, Sequence[float]], list[Rect] | None]


def _try(
    lines: Sequence[Line],
    zone: Rect,
    xs: Sequence[float],
    size: float,
    arrange: Arrange,
    width: float,
) -> list[Balloon] | None:
    blocks = []
    for line in lines:
        block = _fit_one(line, width, zone.height, size)
        if block is None:
            return None
        blocks.append(block)
    rects = arrange(lines, blocks, zone, xs)
    if rects is None:
        return None
    return [Balloon(line.kind, b, r) for line, b, r in zip(lines, blocks, rects, strict=True)]


def _shared(lines: Sequence[Line], zone: Rect, xs: Sequence[float]) -> list[Balloon]:
    """The smallest size, each balloon cut to an equal share of the zone: flat zones are
    shared side by side, tall ones top to bottom."""
    n = len(lines)
    wide = zone.width > 2.5 * zone.height
    share_w = (zone.width - GAP * (n - 1)) / n if wide else zone.width
    share_h = zone.height if wide else (zone.height - GAP * (n - 1)) / n
    out = []
    for i, (line, x) in enumerate(zip(lines, xs, strict=True)):
        tw, th = text_room(line.kind, share_w, share_h)
        block = T.fit(line.text, max(tw, 0), max(th, 0), [LETTERING[-1]], bold=line.kind == "shout")
        w, h = outer_size(line.kind, block)
        sx = zone.x + i * (share_w + GAP) if wide else zone.x
        sy = zone.y if wide else zone.y + i * (share_h + GAP)
        left = min(max(x - w / 2, sx), sx + share_w - w)
        out.append(Balloon(line.kind, block, Rect(left, sy, w, h)))
    return out


def _truncated(lines: Sequence[Line], zone: Rect, xs: Sequence[float]) -> list[Balloon]:
    """Cut balloons sharing the zone; if a share is too small for even one line, the
    earlier lines share it and the later ones are left out (an empty block)."""
    for keep in range(len(lines), 0, -1):
        placed = _shared(lines[:keep], zone, xs[:keep])
        if all(b.block.lines for b in placed):
            empty = [
                Balloon(
                    line.kind, T.Block((), LETTERING[-1], False, True), Rect(zone.x, zone.y, 0, 0)
                )
                for line in lines[keep:]
            ]
            return placed + empty
    return [
        Balloon(line.kind, T.Block((), LETTERING[-1], False, True), Rect(zone.x, zone.y, 0, 0))
        for line in lines
    ]


def fit_balloons(
    lines: Sequence[Line],
    preferred: Rect,
    full: Rect,
    xs: Sequence[float],
    floors: Sequence[float] | None = None,
) -> list[Balloon] | None:
    """Place ``lines`` (reading order) in the preferred zone if they fit at a comfortable
    size (at most ``SHRINK_NOTED`` below the largest), else anywhere in the full zone at
    any size; None if they do not fit whole. ``floors``: how low each balloon may then move
    towards its speaker (its lowest bottom)."""
    if not lines:
        return []
    floors = floors if floors is not None else [preferred.bottom] * len(lines)
    flat = full.width > 1.3 * full.height
    in_order = list(xs) == sorted(xs)
    row_first = flat and in_order and len(lines) > 1
    for zone, fonts in (
        (preferred, [s for s in LETTERING if s >= LETTERING[0] - SHRINK_NOTED]),
        (full, LETTERING),
    ):
        if zone.height <= 0 or zone.width <= 0:
            continue
        # stacked balloons of several speakers stay narrow, so a tail above does not run
        # under the balloon below it
        arrangements: list[tuple[Arrange, float]] = [
            (_stack, zone.width if len(lines) == 1 else zone.width * 0.64)
        ]
        if len(lines) > 1:
            arrangements.insert(0 if row_first else 1, (_row, zone.width))
        for size in fonts:
            for arrange, width in arrangements:
                placed = _try(lines, zone, xs, size, arrange, width)
                if placed is not None:
                    return _lowered(placed, floors) if zone is preferred else placed
    return None


def layout_balloons(
    lines: Sequence[Line],
    preferred: Rect,
    full: Rect,
    xs: Sequence[float],
    floors: Sequence[float] | None = None,
) -> list[Balloon]:
    """``fit_balloons``, else the lines truncated in the full zone."""
    placed = fit_balloons(lines, preferred, full, xs, floors)
    return placed if placed is not None else _truncated(lines, full, xs)


def _near(a: Rect, b: Rect) -> bool:
    """True if ``a`` overlaps ``b`` or comes closer than the gap between balloons."""
    return a.overlaps(Rect(b.x - GAP / 2, b.y - GAP / 2, b.width + GAP, b.height + GAP))


def _lowered(balloons: list[Balloon], floors: Sequence[float]) -> list[Balloon]:
    """Each balloon moved half-way down towards its speaker (its bottom no lower than its
    ``floor``), so tails stay short in tall panels; later balloons first, none above the
    one before it in reading order, none onto another."""
    out = list(balloons)
    below = math.inf  # the top of the next balloon in reading order
    for i in range(len(out) - 1, -1, -1):
        b = out[i]
        goal = min(floors[i] - b.outer.height, below)
        y = b.outer.y + max(goal - b.outer.y, 0) / 2
        while y > b.outer.y:
            moved = Rect(b.outer.x, y, b.outer.width, b.outer.height)
            if not any(_near(moved, o.outer) for j, o in enumerate(out) if j != i):
                out[i] = Balloon(b.kind, b.block, moved)
                break
            y = max(y - 4, b.outer.y)
        below = out[i].outer.y
    return out


def _tail_tip(
    body: Rect, head: tuple[float, float, float], crown: float, inner: Rect
) -> tuple[float, float]:
    """Where a tail towards a head ends: short of the head (``crown``: its top, hat
    included), no longer than a share of the panel."""
    hx, hy, hr = head
    longest = min(120.0, max(36.0, 0.25 * inner.height))
    if body.bottom < crown - 16:  # above the head: point down at it, stopping short
        target_y = crown - 8
        bx = min(max(hx, body.x), body.right)
        t = min(1.0, longest / max(target_y - body.bottom, 1e-6))
        tip = (bx + (hx - bx) * t, body.bottom + (target_y - body.bottom) * t)
    elif hx > body.right:
        tip = (
            min(hx - hr - 8, body.right + longest / 2),
            min(max(hy - hr * 0.2, body.y), body.bottom),
        )
    elif hx < body.x:
        tip = (max(hx + hr + 8, body.x - longest / 2), min(max(hy - hr * 0.2, body.y), body.bottom))
    else:  # right over the head: a short stub
        tip = (hx, body.bottom + 14)
    return (min(max(tip[0], inner.x), inner.right), min(max(tip[1], inner.y), inner.bottom))


def _off_panel_tip(body: Rect, inner: Rect) -> tuple[float, float]:
    # a speaker we cannot see: the tail points out of the panel's nearer side
    left = body.x - inner.x < inner.right - body.right
    return (inner.x if left else inner.right), min(body.bottom + 14, inner.bottom)


def cast_order(script: PanelScript, carried: Sequence[Line] = ()) -> list[str]:
    """Left to right: speakers in the order they first speak (lines carried over from the
    panel before first), then the silent ones, so that balloons read left to right and
    their tails do not cross."""
    speakers = [line.speaker for line in carried] + [d.speaker for d in script.dialogue]
    speakers = [s for s in speakers if s in script.characters]
    return list(dict.fromkeys([*speakers, *script.characters]))


@dataclass(frozen=True)
class Setup:
    """A panel ready for its words: who stands where, its caption boxes, the room left."""

    rect: Rect
    inner: Rect  # inside the border
    cast: tuple[str, ...]  # left to right
    placements: tuple[Placement, ...]
    boxes: tuple[Balloon, ...]  # caption boxes, placed
    top: float  # where balloons may start
    lettering: bool  # balloons or captions: the figures leave the top free


def setup_panel(
    placed: PlacedPanel,
    script: PanelScript,
    *,
    setting: str,
    first_in_scene: bool,
    styles: Mapping[str, FigureStyle],
    carried: Sequence[Line] = (),
    where: str,
    findings: list[str],
) -> Setup:
    """Stage the panel and set its captions; ``carried``: lines continued from the panel
    before (they are read first)."""
    r = placed.rect
    cast = cast_order(script, carried)
    lettering = bool(script.dialogue or T.clean(script.caption) or first_in_scene or carried)
    placements = stage(
        r, script.shot, [(cid, styles.get(cid, UNKNOWN)) for cid in cast], lettering=lettering
    )
    inner = Rect(r.x + INSET, r.y + INSET, r.width - 2 * INSET, r.height - 2 * INSET)
    boxes = _captions(
        inner,
        setting if first_in_scene else "",
        script.caption,
        bool(script.dialogue or carried),
        where,
        findings,
    )
    top = max((b.outer.bottom for b in boxes), default=inner.y - GAP) + GAP
    return Setup(r, inner, tuple(cast), tuple(placements), tuple(boxes), top, lettering)


def draw_panel(
    parent: ET.Element,
    setup: Setup,
    art: PanelArt,
    balloons: Sequence[Balloon],
    *,
    clip_id: str,
) -> list[Balloon]:
    """Draw the panel: its art clipped to it, the border, the captions and ``balloons``
    (from ``letter``). Returns the caption boxes and balloons (for checks)."""
    r = setup.rect
    g = el(parent, "g", class_="panel", id=clip_id.replace("clip", "panel"))
    el(el(g, "clipPath", id=clip_id), "rect", x=r.x, y=r.y, width=r.width, height=r.height)
    place_art(el(g, "g", clip_path=f"url(#{clip_id})"), r, art)
    el(
        g,
        "rect",
        x=r.x,
        y=r.y,
        width=r.width,
        height=r.height,
        fill="none",
        stroke=INK,
        stroke_width=BORDER,
        class_="border",
    )
    for b in [*setup.boxes, *balloons]:
        draw_balloon(g, b)
    return [*setup.boxes, *balloons]


def _captions(
    inner: Rect, setting: str, caption: str, talk: bool, where: str, findings: list[str]
) -> list[Balloon]:
    boxes: list[Balloon] = []
    y = inner.y
    # a caption takes at most this share of the panel's height: less when there is dialogue
    shares = {"location": 0.12 if talk else 0.16, "caption": 0.2 if talk else 0.3}
    for kind, text, fonts in (("location", setting, LOCATION), ("caption", caption, CAPTION)):
        if not T.clean(text):
            continue
        tw, th = text_room(kind, inner.width, max(inner.height * shares[kind], 0))
        th = max(th, fonts[-1] * T.LINE_HEIGHT)  # at least one line, if the panel has it
        block = T.fit(text, max(tw, 0), max(th, 0), fonts, bold=kind == "location")
        _report(
            block,
            fonts,
            f"{where}: the {'setting' if kind == 'location' else kind}",
            text,
            findings,
        )
        if not block.lines:
            continue
        w, h = outer_size(kind, block)
        boxes.append(Balloon(kind, block, Rect(inner.x, y, min(w, inner.width), h)))
        y += h + 4
    return boxes


def _zones(lines: Sequence[Line], setup: Setup) -> tuple[Rect, Rect, list[float], list[float]]:
    """The preferred zone (above the speakers' heads), the full zone, each balloon's
    preferred centre (over its speaker) and its floor."""
    inner, top = setup.inner, setup.top
    by_id = {p.character_id: p for p in setup.placements}
    xs = [
        by_id[line.speaker].x if line.speaker in by_id else inner.x + inner.width / 2
        for line in lines
    ]
    heads_top = min(
        (by_id[line.speaker].head_top for line in lines if line.speaker in by_id),
        default=inner.bottom,
    )
    bottom = inner.bottom - 16  # leave room for the last tail
    preferred = Rect(inner.x, top, inner.width, max(min(heads_top - 14, bottom) - top, 0))
    full = Rect(inner.x, top, inner.width, max(bottom - top, 0))
    floors = [
        min(by_id[line.speaker].head_top - TAIL_ROOM, preferred.bottom)
        if line.speaker in by_id
        else preferred.y
        for line in lines
    ]
    return preferred, full, xs, floors


def fit_lines(lines: Sequence[Line], setup: Setup) -> list[Balloon] | None:
    """``lines`` placed whole in the panel (no tails yet), or None if they do not fit."""
    return fit_balloons(lines, *_zones(lines, setup)) if lines else []


_SENTENCE_END = (".", "!", "?", T.ELLIPSIS)


def split_lines(
    lines: Sequence[Line], setup: Setup, origin: str
) -> tuple[list[Line], list[Line]] | None:
    """The longest start of ``lines``, in whole words, that fits the panel whole, and the
    rest (marked as carried from panel ``origin``); a sentence's or a line's end a little
    earlier is preferred to a cut mid-sentence. None if not even one word fits.

    A line cut in two ends in an ellipsis (unless a sentence ends there) and its rest
    starts with one, as letterers mark a balloon continued in the next panel."""
    words = [T.clean(line.text).split(" ") for line in lines]
    # positions: (line, words of it kept); the last one, everything, is known not to fit
    positions = [(i, m) for i, ws in enumerate(words) for m in range(1, len(ws) + 1)][:-1]

    def parts(p: int) -> tuple[list[Line], list[Line]]:
        i, m = positions[p]
        kept, rest = list(lines[:i]), []
        if m < len(words[i]):
            head = " ".join(words[i][:m])
            if not head.endswith(_SENTENCE_END):
                head = head.rstrip(",;:-") + T.ELLIPSIS
            kept.append(replace(lines[i], text=head))
            rest.append(_carried(lines[i], T.ELLIPSIS + " ".join(words[i][m:]), origin))
        else:
            kept.append(lines[i])
        rest += [_carried(line, line.text, origin) for line in lines[i + 1 :]]
        return kept, rest

    def fits(p: int) -> bool:
        return fit_lines(parts(p)[0], setup) is not None

    if not positions or not fits(0):
        return None
    lo, hi = 0, len(positions) - 1
    while lo < hi:  # the longest start that fits (longer starts need more room)
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    for p in range(lo, math.ceil(lo * 0.6) - 1, -1):
        i, m = positions[p]
        if m == len(words[i]) or words[i][m - 1].endswith(_SENTENCE_END):
            if p == lo or fits(p):
                return parts(p)
            break
    return parts(lo)


def _carried(line: Line, text: str, origin: str) -> Line:
    label = line.label if line.carried else f"{line.label} from panel {origin}"
    return replace(line, text=text, label=label, carried=True)


def letter(lines: Sequence[Line], setup: Setup, where: str, findings: list[str]) -> list[Balloon]:
    """The panel's balloons with their tails: ``lines`` whole if they fit, else cut (and
    reported); shrunk text is reported too."""
    if not lines:
        return []
    placed = layout_balloons(lines, *_zones(lines, setup))
    by_id = {p.character_id: p for p in setup.placements}
    inner = setup.inner
    out = []
    for line, b in zip(lines, placed, strict=True):
        _report(b.block, LETTERING, f"{where}: {line.label}", line.text, findings)
        if not b.block.lines:
            continue
        p = by_id.get(line.speaker or "")
        tip = _tail_tip(b.body, p.head, p.head_top, inner) if p else _off_panel_tip(b.body, inner)
        out.append(Balloon(b.kind, b.block, b.outer, tip))
    return out


def _report(
    block: T.Block, fonts: Sequence[float], what: str, text: str, findings: list[str]
) -> None:
    shown = T.clean(text)
    if not block.lines:
        findings.append(f"{what} was left out: no room for it in the panel: {shown[:60]!r}")
    elif block.truncated:
        kept = sum(len(line) for line in block.lines)
        findings.append(
            f"{what} was cut to fit (about {kept} of {len(shown)} characters "
            f"shown, at size {block.size:g}): {shown[:60]!r}"
        )
    elif block.size < fonts[0] - SHRINK_NOTED:
        findings.append(f"{what} was shrunk to size {block.size:g} (of {fonts[0]:g}) to fit")
