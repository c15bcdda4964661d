"""Deterministic comic page layout: the layout agent suggests, this solver places.

The layout agent (a small model) suggests per panel an emphasis, a shot size and page breaks;
``solve_layout`` turns them into geometry valid by construction; ``check_layout`` checks any
layout on its own (tests and the workflow's review step). Rules, in SVG user units:
- A page is rows of panels filling the content box (the page inside its margins): a row
  spans the content width, its panels sharing it by width units (a row holds 6: small 2,
  normal 3, large 6 = a full row; a wide shot +1, a close shot -1, small/normal within 2..5);
  rows share the content height by weight (the row's largest emphasis x shot factor: small
  .85, normal 1, large 1.3; wide .85, medium 1, close 1.1). Neighbours are a gutter apart.
- A splash is alone on its page, filling the content box.
- Every panel is at least ``MIN_FRACTION`` (12%) of the content box's width and height, with
  width / height in [1/4, 4]. Rows are packed greedily (in order, up to 6 units); if that
  breaks the rule, or gives panels taller than 1:2, the page is packed again with at most
  2 panels a row, then 1, keeping the first packing that fits without tall panels (else the
  last that fits).
- A panel starts a new page on ``break_before`` (ignored on the first panel), when it or the
  one before is a splash, or when the page is out of panels, rows or room under the rules.
- Reading order (left to right, rows top to bottom, pages in order) is the input order.
Pure and deterministic: no randomness, no I/O.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import get_args

from atelier.kernel.geometry import TOLERANCE, Emphasis, Page, PageSpec, PlacedPanel, Rect, Shot

MIN_FRACTION = 0.12  # minimum panel width and height, as a share of the content box's
MIN_ASPECT = 0.25  # bounds of a panel's width / height
MAX_ASPECT = 4.0
PREFERRED_MIN_ASPECT = 0.5  # with rows to spare, rows of panels taller than this are split

DEFAULT_SPEC = PageSpec()
_ROW_UNITS = 6
_UNITS = {"small": 2, "normal": 3, "large": 6, "splash": 6}
_SHOT_UNITS = {"wide": 1, "medium": 0, "close": -1}
_EMPHASIS_HEIGHT = {"small": 0.85, "normal": 1.0, "large": 1.3, "splash": 1.3}
_SHOT_HEIGHT = {"wide": 0.85, "medium": 1.0, "close": 1.1}


class LayoutError(ValueError):
    """The request itself is invalid: no panels, duplicate ids, a page spec with no room."""


@dataclass(frozen=True)
class PanelRequest:
    panel_id: str
    emphasis: Emphasis = "normal"
    shot: Shot = "medium"
    break_before: bool = False  # start a new page before this panel (not before the first)


def _min_row_height(spec: PageSpec) -> float:  # keeps full-width panels within MAX_ASPECT
    c = spec.content_rect
    return max(MIN_FRACTION * c.height, c.width / MAX_ASPECT)


def _min_panel_width(spec: PageSpec, row_height: float) -> float:
    return max(MIN_FRACTION * spec.content_rect.width, MIN_ASPECT * row_height)


def validate_spec(spec: PageSpec) -> None:
    """Raise ``LayoutError`` unless pages of this spec can hold panels under the rules."""
    if not all(math.isfinite(v) for v in (spec.width, spec.height, spec.margin, spec.gutter)):
        raise LayoutError(f"page sizes must be finite numbers: {spec}")
    if spec.margin < 0 or spec.gutter < 0:
        raise LayoutError(f"margin and gutter must not be negative: {spec}")
    if spec.max_panels_per_page < 1 or spec.max_rows < 1:
        raise LayoutError(f"max_panels_per_page and max_rows must be at least 1: {spec}")
    c = spec.content_rect
    if c.width <= 0 or c.height <= 0:
        raise LayoutError(f"the margins leave no room for panels: {spec}")
    if not MIN_ASPECT <= c.width / c.height <= MAX_ASPECT:
        raise LayoutError(f"the content box is too narrow or too flat for panels: {spec}")
    if (
        2 * _min_row_height(spec) + spec.gutter > c.height
        and 2 * _min_panel_width(spec, c.height) + spec.gutter > c.width
    ):
        raise LayoutError(f"the gutter leaves room for only one panel per page: {spec}")


def _validate_panels(panels: Sequence[PanelRequest]) -> None:
    if not panels:
        raise LayoutError("no panels to lay out")
    for p in panels:
        if not isinstance(p, PanelRequest) or not isinstance(p.panel_id, str) or not p.panel_id:
            raise LayoutError(f"not a panel request with a non-empty id: {p!r}")
        if p.emphasis not in get_args(Emphasis) or p.shot not in get_args(Shot):
            raise LayoutError(f"panel {p.panel_id!r}: unknown emphasis or shot: {p!r}")
    dups = [i for i, n in Counter(p.panel_id for p in panels).items() if n > 1]
    if dups:
        raise LayoutError(f"duplicate panel ids: {', '.join(map(repr, dups))}")


def _units(p: PanelRequest) -> int:
    units = min(max(_UNITS[p.emphasis] + _SHOT_UNITS[p.shot], 2), _ROW_UNITS - 1)
    return _ROW_UNITS if p.emphasis in ("large", "splash") else units


def _split(total: float, weights: Sequence[float], minimum: float) -> list[float] | None:
    """Share ``total`` in proportion to ``weights`` with no share below ``minimum``."""
    if len(weights) * minimum > total + TOLERANCE:
        return None
    fixed = [False] * len(weights)
    while True:  # water-filling: shares below the minimum get it, the rest re-share
        free = total - minimum * sum(fixed)
        wsum = sum(w for w, f in zip(weights, fixed, strict=True) if not f)
        if wsum <= 0:
            return [minimum] * len(weights)
        sizes = [minimum if f else free * w / wsum for w, f in zip(weights, fixed, strict=True)]
        low = [i for i, s in enumerate(sizes) if not fixed[i] and s < minimum]
        if not low:
            return sizes
        for i in low:
            fixed[i] = True


Rows = list[list[PanelRequest]]
Geometry = tuple[list[float], list[list[float]]]


def _measure(rows: Rows, spec: PageSpec) -> Geometry | None:
    """Row heights and panel widths by the rules, or None if the rows do not fit the page."""
    c, gutter = spec.content_rect, spec.gutter
    if len(rows) > spec.max_rows:
        return None
    weights = [
        max(_EMPHASIS_HEIGHT[p.emphasis] * _SHOT_HEIGHT[p.shot] for p in row) for row in rows
    ]
    heights = _split(c.height - gutter * (len(rows) - 1), weights, _min_row_height(spec))
    if heights is None:
        return None
    widths: list[list[float]] = []
    for row, h in zip(rows, heights, strict=True):
        share = _split(
            c.width - gutter * (len(row) - 1), [_units(p) for p in row], _min_panel_width(spec, h)
        )
        if share is None:
            return None
        widths.append(share)
    return heights, widths


def _pack(panels: list[PanelRequest], per_row: int) -> Rows:
    rows: Rows = []
    for p in panels:  # greedy, in order, by width units
        if (
            rows
            and len(rows[-1]) < per_row
            and sum(map(_units, rows[-1])) + _units(p) <= _ROW_UNITS
        ):
            rows[-1].append(p)
        else:
            rows.append([p])
    return rows


def _layout_page(panels: list[PanelRequest], spec: PageSpec) -> tuple[PlacedPanel, ...] | None:
    """Place one page's panels, or None if they cannot share a page under the rules."""
    chosen: tuple[Rows, Geometry] | None = None
    for per_row in range(_ROW_UNITS // 2, 0, -1):  # widest rows first
        rows = _pack(panels, per_row)
        geometry = _measure(rows, spec)
        if geometry is None:
            continue
        chosen = rows, geometry
        if not any(
            len(ws) > 1 and min(ws) < PREFERRED_MIN_ASPECT * h
            for h, ws in zip(*geometry, strict=True)
        ):
            break
    if chosen is None:
        return None
    rows, geometry = chosen
    c, placed, y = spec.content_rect, [], spec.content_rect.y
    for r, (row, h, ws) in enumerate(zip(rows, *geometry, strict=True)):
        h = c.bottom - y if r == len(rows) - 1 else h  # the last row ends exactly on the margin
        x = c.x
        for i, (p, w) in enumerate(zip(row, ws, strict=True)):
            w = c.right - x if i == len(row) - 1 else w
            placed.append(
                PlacedPanel(p.panel_id, Rect(x, y, w, h), r, len(placed), p.shot, p.emphasis)
            )
            x += w + spec.gutter
        y += h + spec.gutter
    return tuple(placed)


def solve_layout(panels: Sequence[PanelRequest], spec: PageSpec = DEFAULT_SPEC) -> list[Page]:
    """Lay ``panels`` out on pages, in order, by the module's rules (``LayoutError``: bad input)."""
    validate_spec(spec)
    _validate_panels(panels)
    pages: list[tuple[PlacedPanel, ...]] = []
    current: list[PanelRequest] = []
    layout: tuple[PlacedPanel, ...] | None = None
    for p in panels:
        if current and not (p.break_before or "splash" in (p.emphasis, current[-1].emphasis)):
            trial = (
                _layout_page([*current, p], spec)
                if len(current) < spec.max_panels_per_page
                else None
            )
            if trial is not None:
                current, layout = [*current, p], trial
                continue
        if layout is not None:
            pages.append(layout)
        current, layout = [p], _layout_page([p], spec)  # one panel fills the content box
    assert layout is not None  # a lone panel always fits a spec that validate_spec accepts
    pages.append(layout)
    return [Page(n, placed, spec) for n, placed in enumerate(pages, start=1)]


def check_layout(pages: Sequence[Page], panels: Sequence[PanelRequest]) -> list[str]:
    """Every way ``pages`` breaks the rules for ``panels``, in words ([] means valid).

    Works from the placed rects alone, independently of how the solver builds them.
    """
    problems: list[str] = []
    ids = [p.panel_id for p in panels]
    requests = {p.panel_id: p for p in panels}
    if len(requests) != len(ids):
        problems.append("the panel requests have duplicate ids")
    if not pages:
        problems.append("there are no pages")
    placed = [pp.panel_id for page in pages for pp in page.panels]
    counts = Counter(placed)
    for label, bad in (
        ("missing", [i for i in ids if i not in counts]),
        ("placed more than once", [i for i, n in counts.items() if n > 1]),
        ("not requested", [i for i in counts if i not in requests]),
    ):
        if bad:
            problems.append(f"panels {label}: {', '.join(map(repr, bad))}")
    if sorted(placed) == sorted(ids) and placed != ids:
        problems.append(f"reading order {placed} differs from the requested order {ids}")
    for index, page in enumerate(pages):
        problems += _check_page(page, index, requests)
    return problems


def _check_page(page: Page, index: int, requests: dict[str, PanelRequest]) -> list[str]:
    spec, c, out, where = page.spec, page.content_rect, [], f"page {page.number}"
    if page.number != index + 1:
        out.append(f"{where}: numbered {page.number}, expected {index + 1}")
    if not page.panels:
        return [*out, f"{where}: has no panels"]
    if len(page.panels) > spec.max_panels_per_page:
        out.append(f"{where}: {len(page.panels)} panels, more than {spec.max_panels_per_page}")
    if not (c.width > 0 and c.height > 0):
        return [*out, f"{where}: its margins leave no content box"]
    broken = False
    for i, pp in enumerate(page.panels):
        r, name, req = pp.rect, f"{where}: panel {pp.panel_id!r}", requests.get(pp.panel_id)
        if pp.order != i:
            out.append(f"{name} has order {pp.order}, expected {i}")
        if req and (req.emphasis, req.shot) != (pp.emphasis, pp.shot):
            out.append(f"{name} is {pp.emphasis}/{pp.shot}, requested {req.emphasis}/{req.shot}")
        if req and req.emphasis == "splash" and len(page.panels) > 1:
            out.append(f"{name} is a splash but shares its page")
        if req and req.break_before and i > 0:
            out.append(f"{name} asked for a page break but does not start its page")
        if not (
            all(map(math.isfinite, (r.x, r.y, r.width, r.height))) and r.width > 0 and r.height > 0
        ):
            out.append(f"{name} has an empty or non-finite rect {r}")
            broken = True
            continue
        if not r.inside(c):
            out.append(f"{name} lies outside the margin box {c}")
        if min(r.width / c.width, r.height / c.height) < MIN_FRACTION - TOLERANCE:
            out.append(f"{name} is too small ({r.width:.1f} x {r.height:.1f})")
        if not MIN_ASPECT - TOLERANCE <= r.width / r.height <= MAX_ASPECT + TOLERANCE:
            out.append(f"{name} has aspect ratio {r.width / r.height:.2f}")
    if broken:
        return out
    for i, a in enumerate(page.panels):
        for b in page.panels[i + 1 :]:
            gap, pair = a.rect.gap(b.rect), f"{where}: panels {a.panel_id!r} and {b.panel_id!r}"
            if a.rect.overlaps(b.rect):
                out.append(f"{pair} overlap")
            elif gap < spec.gutter - TOLERANCE:
                out.append(f"{pair} are {gap:.1f} apart, less than the gutter {spec.gutter}")
    return out + _check_rows(page, where)


def _check_rows(page: Page, where: str) -> list[str]:
    """Rows are full-width bands stacked top to bottom that fill the content box."""
    c, out, rows = page.content_rect, [], []
    for pp in page.panels:
        if rows and pp.row == rows[-1][0].row:
            rows[-1].append(pp)
        else:
            if pp.row != len(rows):
                out.append(f"{where}: panel {pp.panel_id!r} is in row {pp.row}, not {len(rows)}")
            rows.append([pp])
    if len(rows) > page.spec.max_rows:
        out.append(f"{where}: {len(rows)} rows, more than {page.spec.max_rows}")
    near = partial(math.isclose, rel_tol=0.0, abs_tol=TOLERANCE)
    for n, row in enumerate(rows):
        first, last = row[0].rect, row[-1].rect
        if not all(near(p.rect.y, first.y) and near(p.rect.bottom, first.bottom) for p in row):
            out.append(f"{where}: row {n} is not a band of equal-height panels")
        if any(b.rect.x < a.rect.right - TOLERANCE for a, b in pairwise(row)):
            out.append(f"{where}: row {n} does not read left to right")
        if not (near(first.x, c.x) and near(last.right, c.right)):
            out.append(f"{where}: row {n} does not span the content width")
        if n and first.y < max(p.rect.bottom for p in rows[n - 1]) - TOLERANCE:
            out.append(f"{where}: row {n} does not sit below row {n - 1}")
    if not (near(rows[0][0].rect.y, c.y) and near(rows[-1][0].rect.bottom, c.bottom)):
        out.append(f"{where}: the rows do not span the content height")
    return out

