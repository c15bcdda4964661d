"""The layout solver: any 1-12 panels become valid pages, and the validator is honest."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier.agents.layout_solver import (
    MIN_FRACTION,
    LayoutError,
    PanelRequest,
    check_layout,
    solve_layout,
    validate_spec,
)
from atelier.kernel.geometry import Page, PageSpec, PlacedPanel, Rect

EMPHASES = ("small", "normal", "large", "splash")
SHOTS = ("wide", "medium", "close")
SPECS = (
    PageSpec(),
    PageSpec(max_rows=1),
    PageSpec(max_rows=2, max_panels_per_page=4),
    PageSpec(max_panels_per_page=1),
    PageSpec(max_rows=6, max_panels_per_page=12, gutter=10),
    PageSpec(width=1500, height=1000),  # landscape
    PageSpec(width=800, height=800, margin=0, gutter=0),
    PageSpec(width=600, height=2000, margin=20, gutter=40),  # a tall strip
)

requests = st.lists(
    st.tuples(st.sampled_from(EMPHASES), st.sampled_from(SHOTS), st.booleans()),
    min_size=1,
    max_size=12,
).map(lambda items: [PanelRequest(f"p{i}", e, s, b) for i, (e, s, b) in enumerate(items)])

any_spec = st.builds(
    PageSpec,
    width=st.floats(100, 5000),
    height=st.floats(100, 5000),
    margin=st.floats(0, 300),
    gutter=st.floats(0, 200),
    max_panels_per_page=st.integers(1, 12),
    max_rows=st.integers(1, 8),
)


def ids(pages: list[Page]) -> list[list[str]]:
    return [[p.panel_id for p in page.panels] for page in pages]


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=400)
@given(panels=requests, spec=st.sampled_from(SPECS))
def test_any_request_gives_valid_pages(panels: list[PanelRequest], spec: PageSpec) -> None:
    pages = solve_layout(panels, spec)
    assert check_layout(pages, panels) == []
    assert [i for page in ids(pages) for i in page] == [p.panel_id for p in panels]
    content = spec.content_rect
    for page in pages:
        assert page.spec == spec
        for placed in page.panels:
            if placed.emphasis == "splash":  # a splash fills its own page
                assert page.panels == (placed,)
                assert placed.rect == content
            if placed.emphasis == "large":  # a large panel has a full row
                assert placed.rect.width == pytest.approx(content.width)
    for a, b in pairwise(panels):
        if b.break_before:  # every page-break suggestion is honoured
            assert any(page[0] == b.panel_id for page in ids(pages)), (a, b)


@settings(max_examples=300)
@given(panels=requests, spec=any_spec)
def test_any_spec_is_rejected_or_gives_valid_pages(
    panels: list[PanelRequest], spec: PageSpec
) -> None:
    try:
        validate_spec(spec)
    except LayoutError:
        with pytest.raises(LayoutError):
            solve_layout(panels, spec)
        return
    assert check_layout(solve_layout(panels, spec), panels) == []


@given(panels=requests, spec=st.sampled_from(SPECS))
def test_same_input_same_output(panels: list[PanelRequest], spec: PageSpec) -> None:
    assert solve_layout(panels, spec) == solve_layout(list(panels), spec)


@given(panels=requests)
def test_small_panels_are_never_wider_than_normal_ones_in_their_row(
    panels: list[PanelRequest],
) -> None:
    for page in solve_layout(panels):
        for a in page.panels:
            for b in page.panels:
                if (a.row, a.shot, b.shot, a.emphasis, b.emphasis) == (
                    b.row,
                    "medium",
                    "medium",
                    "small",
                    "normal",
                ):
                    assert a.rect.width <= b.rect.width + 1e-9


# --- examples -----------------------------------------------------------------------------


def test_three_normal_panels_fit_one_page() -> None:
    panels = [PanelRequest(i) for i in "abc"]
    pages = solve_layout(panels)
    assert ids(pages) == [["a", "b", "c"]]
    a, b, c = pages[0].panels
    assert (a.row, b.row, c.row) == (0, 0, 1)
    assert (a.order, b.order, c.order) == (0, 1, 2)
    assert a.rect.x < b.rect.x and a.rect.y == b.rect.y < c.rect.y  # left to right, then down
    assert c.rect.width == pytest.approx(PageSpec().content_rect.width)


def test_a_splash_gets_its_own_page() -> None:
    panels = [PanelRequest("a"), PanelRequest("b", "splash"), PanelRequest("c")]
    pages = solve_layout(panels)
    assert ids(pages) == [["a"], ["b"], ["c"]]
    assert pages[1].panels[0].rect == PageSpec().content_rect
    assert [page.number for page in pages] == [1, 2, 3]


def test_a_page_break_suggestion_starts_a_new_page() -> None:
    panels = [PanelRequest("a"), PanelRequest("b", break_before=True), PanelRequest("c")]
    assert ids(solve_layout(panels)) == [["a"], ["b", "c"]]


def test_a_break_before_the_first_panel_makes_no_empty_page() -> None:
    pages = solve_layout([PanelRequest("a", break_before=True), PanelRequest("b")])
    assert ids(pages) == [["a", "b"]]


def test_full_pages_flow_onto_the_next_page_in_reading_order() -> None:
    panels = [PanelRequest(f"p{i}", "small") for i in range(8)]
    pages = solve_layout(panels)
    assert ids(pages) == [[f"p{i}" for i in range(6)], ["p6", "p7"]]
    rows = [[p.panel_id for p in pages[0].panels if p.row == r] for r in range(3)]
    assert rows == [["p0", "p1"], ["p2", "p3"], ["p4", "p5"]]  # 3 across would be too tall
    assert [p.row for p in pages[1].panels] == [0, 1]  # and so would 2 side by side here


def test_emphasis_and_shot_shape_the_page() -> None:
    panels = [
        PanelRequest("big", "large"),
        PanelRequest("s", "small"),
        PanelRequest("n", "normal"),
        PanelRequest("w", "normal", "wide"),
    ]
    big, s, n, w = solve_layout(panels)[0].panels
    assert big.rect.width == pytest.approx(PageSpec().content_rect.width)
    assert big.rect.height > w.rect.height  # large rows are taller, wide shots shorter
    assert s.row == n.row and s.rect.width < n.rect.width


def test_rect_helpers() -> None:
    a, b = Rect(0, 0, 10, 20), Rect(5, 5, 10, 10)
    assert (a.right, a.bottom, a.area) == (10, 20, 200)
    assert a.overlaps(b) and b.overlaps(a)
    assert not a.overlaps(Rect(10, 0, 5, 5))  # touching edges do not overlap
    assert Rect(1, 1, 2, 2).inside(a) and not b.inside(a)
    assert PageSpec().content_rect == Rect(50, 50, 900, 1400)


# --- invalid input ------------------------------------------------------------------------


def test_no_panels_is_an_error() -> None:
    with pytest.raises(LayoutError, match="no panels"):
        solve_layout([])


def test_duplicate_ids_are_an_error() -> None:
    with pytest.raises(LayoutError, match="duplicate panel ids: 'a'"):
        solve_layout([PanelRequest("a"), PanelRequest("b"), PanelRequest("a")])


@pytest.mark.parametrize(
    "panel",
    [PanelRequest(""), PanelRequest("a", "huge"), PanelRequest("a", shot="extreme")],  # type: ignore[arg-type]
)
def test_malformed_requests_are_an_error(panel: PanelRequest) -> None:
    with pytest.raises(LayoutError):
        solve_layout([panel])


@pytest.mark.parametrize(
    "spec",
    [
        PageSpec(margin=500),  # no content box left
        PageSpec(margin=-1),
        PageSpec(gutter=-1),
        PageSpec(gutter=2000),  # room for one panel per page at most
        PageSpec(width=5000, height=500),  # too flat for comic panels
        PageSpec(max_rows=0),
        PageSpec(max_panels_per_page=0),
        PageSpec(width=float("nan")),
    ],
)
def test_a_spec_with_no_room_is_an_error(spec: PageSpec) -> None:
    with pytest.raises(LayoutError):
        solve_layout([PanelRequest("a")], spec)


# --- the validator catches broken layouts ------------------------------------------------

PANELS = [PanelRequest(i) for i in "abcd"]  # rows [a, b], [c, d] on one page


@pytest.fixture
def valid() -> list[Page]:
    pages = solve_layout(PANELS)
    assert ids(pages) == [["a", "b", "c", "d"]] and check_layout(pages, PANELS) == []
    return pages


def with_panels(pages: list[Page], *panels: PlacedPanel) -> list[Page]:
    return [replace(pages[0], panels=panels), *pages[1:]]


def moved(panel: PlacedPanel, **rect: float) -> PlacedPanel:
    return replace(panel, rect=replace(panel.rect, **rect))


def problems(pages: list[Page], panels: list[PanelRequest] = PANELS) -> str:
    found = check_layout(pages, panels)
    assert found and all(isinstance(p, str) for p in found)
    return "\n".join(found)


def test_the_validator_catches_overlaps(valid: list[Page]) -> None:
    a, b, c, d = valid[0].panels
    assert "'a' and 'b' overlap" in problems(
        with_panels(valid, a, moved(b, x=a.rect.x + 100), c, d)
    )


def test_the_validator_catches_panels_closer_than_the_gutter(valid: list[Page]) -> None:
    a, b, c, d = valid[0].panels
    squeezed = moved(b, x=b.rect.x - 12)
    assert "less than the gutter" in problems(with_panels(valid, a, squeezed, c, d))


def test_the_validator_catches_panels_outside_the_page(valid: list[Page]) -> None:
    a, b, c, d = valid[0].panels
    assert "outside the margin box" in problems(with_panels(valid, moved(a, x=10), b, c, d))
    assert "outside the margin box" in problems(
        with_panels(valid, a, b, c, moved(d, height=d.rect.height + 30))
    )


def test_the_validator_catches_missing_and_duplicated_panels(valid: list[Page]) -> None:
    a, b, c, d = valid[0].panels
    assert "panels missing: 'd'" in problems(with_panels(valid, a, b, c))
    twice = with_panels(valid, a, b, c, d, replace(d, order=4))
    assert "placed more than once: 'd'" in problems(twice)
    extra = with_panels(valid, a, b, c, replace(d, panel_id="z"))
    assert "not requested: 'z'" in problems(extra)


def test_the_validator_catches_the_wrong_order(valid: list[Page]) -> None:
    reordered = [PANELS[1], PANELS[0], *PANELS[2:]]
    assert "differs from the requested order" in problems(valid, reordered)
    a, b, c, d = valid[0].panels  # right ids in order, but b drawn left of a
    swapped = with_panels(valid, replace(a, rect=b.rect), replace(b, rect=a.rect), c, d)
    assert "does not read left to right" in problems(swapped)
    assert "has order 0, expected 1" in problems(with_panels(valid, a, replace(b, order=0), c, d))
    upside_down = with_panels(
        valid, replace(a, row=1), replace(b, row=1), replace(c, row=0), replace(d, row=0)
    )
    assert "in row 1, not 0" in problems(upside_down)


def test_the_validator_catches_broken_rules(valid: list[Page]) -> None:
    a, b, c, d = valid[0].panels
    splash = [PanelRequest("a", "splash"), *PANELS[1:]]
    assert "'a' is a splash but shares its page" in problems(valid, splash)
    broken = [*PANELS[:2], PanelRequest("c", break_before=True), PANELS[3]]
    assert "'c' asked for a page break" in problems(valid, broken)
    assert "requested large/medium" in problems(valid, [PanelRequest("a", "large"), *PANELS[1:]])
    tiny = moved(d, width=MIN_FRACTION * 900 - 1, x=d.rect.right - MIN_FRACTION * 900 + 1)
    assert "too small" in problems(with_panels(valid, a, b, c, tiny))
    narrow = moved(d, width=d.rect.width - 50)
    assert "does not span the content width" in problems(with_panels(valid, a, b, c, narrow))
    short = with_panels(valid, a, b, moved(c, height=300), moved(d, height=300))
    assert "do not span the content height" in problems(short)
    assert "non-finite" in problems(with_panels(valid, a, b, c, moved(d, x=float("nan"))))
    crowded = replace(valid[0], spec=PageSpec(max_panels_per_page=3, max_rows=1))
    assert "4 panels, more than 3" in problems([crowded])
    assert "2 rows, more than 1" in problems([crowded])


def test_the_validator_catches_bad_pages(valid: list[Page]) -> None:
    assert "numbered 2, expected 1" in problems([replace(valid[0], number=2)])
    assert "has no panels" in problems([*valid, Page(2, (), PageSpec())])
    assert "no pages" in problems([])
